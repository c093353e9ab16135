/**
 * A lesson is a Markdown file whose `sh` code blocks are its steps: commands a learner runs
 * and `lab learn` and the tests run too. What a step must show is written under it in HTML
 * comments, which GitHub does not render:
 *
 *     ```sh                      a command; it must exit 0 (exit=N: with N; exit=any)
 *     ```sh retry=30s            run again, 1 s apart, until its output matches (a learner
 *                                would run it again a moment later)
 *     ```sh background id=NAME   keeps running (another terminal); its output is matched
 *                                as it comes; the same command already running is reused
 *     <!-- expect: REGEX -->     the output (stdout and stderr, as a terminal shows them)
 *                                must match (multiline: ^ and $ are lines)
 *     <!-- expect-not: REGEX --> must not match
 *     <!-- wait NAME: REGEX -->  a step of its own: wait until background NAME's output
 *                                matches
 *
 * Other code blocks (text, json, ts…) are shown, never run. A bad option, a regex that does
 * not compile or an expectation with no step before it is a LessonFormatError naming the
 * file and line.
 */

export class LessonFormatError extends Error {
  override readonly name = 'LessonFormatError';
}

export interface Expectation {
  pattern: RegExp;
  /** true: the output must not match. */
  absent: boolean;
}

interface StepBase {
  /** 1-based, in the lesson's order. */
  number: number;
  /** The line of the step in its file, 1-based. */
  line: number;
  expect: Expectation[];
}

export interface CommandStep extends StepBase {
  kind: 'command';
  command: string;
  /** The exit code it must end with; null: any. */
  exitCode: number | null;
  /** Run again until it matches, for this long; 0: once. */
  retryMs: number;
  timeoutMs: number;
}

export interface BackgroundStep extends StepBase {
  kind: 'background';
  command: string;
  id: string;
  timeoutMs: number;
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  /** The background step whose output is matched. */
  id: string;
  timeoutMs: number;
}

export type Step = CommandStep | BackgroundStep | WaitStep;

export type Block = { kind: 'prose'; text: string } | { kind: 'step'; step: Step };

export interface Lesson {
  file: string;
  /** From the file name: 03-data-model.md is lesson 3. */
  number: number;
  slug: string;
  /** The first `# ` heading. */
  title: string;
  /** The `## ` headings, in order. */
  sections: string[];
  blocks: Block[];
  steps: Step[];
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_WAIT_MS = 30_000;
const FENCE = /^```(\S*)\s*(.*)$/;
const EXPECT = /^<!--\s*(expect|expect-not|wait\s+([\w-]+))\s*:\s?(.*?)\s*-->\s*$/;
const FILE_NAME = /^(\d+)-([a-z0-9-]+)\.md$/;

/** "30s", "500ms", "2m" → milliseconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (match === null) return null;
  const scale = match[2] === 'ms' ? 1 : match[2] === 's' ? 1_000 : 60_000;
  return Math.round(Number(match[1]) * scale);
}

export function lessonNumberOf(fileName: string): { number: number; slug: string } | null {
  const match = FILE_NAME.exec(fileName);
  return match === null ? null : { number: Number(match[1]), slug: match[2]! };
}

export function parseLesson(text: string, file: string): Lesson {
  const base = file.split('/').pop() ?? file;
  const named = lessonNumberOf(base);
  if (named === null) {
    throw new LessonFormatError(`${file}: a lesson's file is named NN-slug.md (01-why.md)`);
  }
  const lines = text.split('\n');
  const blocks: Block[] = [];
  const steps: Step[] = [];
  const sections: string[] = [];
  let title: string | null = null;
  let prose: string[] = [];
  let last: Step | null = null;
  const where = (index: number) => `${file}:${index + 1}`;
  const flushProse = () => {
    if (prose.some((l) => l.trim() !== '')) blocks.push({ kind: 'prose', text: prose.join('\n') });
    prose = [];
  };
  const addStep = (step: Step) => {
    flushProse();
    blocks.push({ kind: 'step', step });
    steps.push(step);
    last = step;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence !== null) {
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      if (end < 0) throw new LessonFormatError(`${where(i)}: a code block is never closed`);
      const body = lines.slice(i + 1, end).join('\n');
      if (fence[1] === 'sh') {
        addStep(commandStep(body, fence[2] ?? '', steps.length + 1, i + 1, where(i)));
      } else {
        // Shown as it is (a sample output may stand between a step and its expectations).
        prose.push(...lines.slice(i, end + 1));
      }
      i = end;
      continue;
    }
    const comment = EXPECT.exec(line);
    if (comment !== null) {
      const [, kind, waitId, source] = comment;
      const pattern = compile(source ?? '', where(i));
      if (waitId !== undefined) {
        addStep({
          kind: 'wait',
          number: steps.length + 1,
          line: i + 1,
          id: waitId,
          timeoutMs: DEFAULT_WAIT_MS,
          expect: [{ pattern, absent: false }],
        });
        continue;
      }
      const step = last as Step | null;
      if (step === null) {
        throw new LessonFormatError(`${where(i)}: "${kind}" must follow a sh code block`);
      }
      step.expect.push({ pattern, absent: kind === 'expect-not' });
      continue;
    }
    if (line.startsWith('# ') && title === null)
      title = line
        .slice(2)
        .replace(/^\d+\.\s*/, '')
        .trim();
    if (line.startsWith('## ')) sections.push(line.slice(3).trim());
    // Prose between a step and its expectations is allowed; a heading ends the step.
    if (line.startsWith('#')) last = null;
    prose.push(line);
  }
  flushProse();
  if (title === null) throw new LessonFormatError(`${file}: a lesson starts with a "# Title"`);
  for (const step of steps) {
    if (step.kind === 'wait' && !steps.some((s) => s.kind === 'background' && s.id === step.id)) {
      throw new LessonFormatError(`${file}:${step.line}: no background step has id=${step.id}`);
    }
  }
  return { file, number: named.number, slug: named.slug, title, sections, blocks, steps };
}

function compile(source: string, where: string): RegExp {
  if (source.trim() === '') throw new LessonFormatError(`${where}: an empty pattern`);
  try {
    return new RegExp(source, 'm');
  } catch (error) {
    throw new LessonFormatError(`${where}: ${(error as Error).message}`);
  }
}

function commandStep(
  body: string,
  info: string,
  number: number,
  line: number,
  where: string,
): CommandStep | BackgroundStep {
  const command = body.trim();
  if (command === '') throw new LessonFormatError(`${where}: an empty sh block`);
  let background = false;
  let id: string | null = null;
  let exitCode: number | null = 0;
  let retryMs = 0;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  for (const word of info.split(/\s+/).filter((w) => w !== '')) {
    const [key, value] = word.split('=', 2) as [string, string | undefined];
    if (key === 'background' && value === undefined) background = true;
    else if (key === 'id' && value !== undefined && /^[\w-]+$/.test(value)) id = value;
    else if (key === 'exit' && value === 'any') exitCode = null;
    else if (key === 'exit' && value !== undefined && /^\d+$/.test(value)) exitCode = Number(value);
    else if ((key === 'retry' || key === 'timeout') && value !== undefined) {
      const ms = parseDuration(value);
      if (ms === null)
        throw new LessonFormatError(`${where}: ${key}=${value}: expected 30s, 500ms or 2m`);
      if (key === 'retry') retryMs = ms;
      else timeoutMs = ms;
    } else {
      throw new LessonFormatError(
        `${where}: unknown option "${word}" (background, id=NAME, exit=N|any, retry=30s, timeout=30s)`,
      );
    }
  }
  if (background) {
    return {
      kind: 'background',
      number,
      line,
      command,
      id: id ?? `step-${number}`,
      timeoutMs,
      expect: [],
    };
  }
  if (id !== null) throw new LessonFormatError(`${where}: id= names a background step only`);
  return { kind: 'command', number, line, command, exitCode, retryMs, timeoutMs, expect: [] };
}

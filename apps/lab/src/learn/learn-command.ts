/**
 * `lab learn [N]`: the lessons in the terminal. With no N, the list. With N, lesson N's text,
 * and each of its commands run with the learner: shown, run on Enter, its output, then
 * whether it shows what the lesson says it shows. `--check` runs every step without asking
 * and exits 1 on the first that does not match (what CI does to every lesson).
 */
import { createInterface, type Interface } from 'node:readline/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { type Lesson, LessonFormatError, type Step } from './lesson-parse';
import {
  loadLesson,
  loadLessonFile,
  loadLessons,
  NoSuchLessonError,
  npmScripts,
  repoRoot,
} from './lesson-files';
import { StepRunner, type StepResult } from './step-runner';
import type { Output } from '../output';

export const LEARN_USAGE = `lab learn: the lessons, run in this terminal (docs/lessons)

Usage:
  lab learn              the lessons, in the order to take them
  lab learn N            lesson N: its text, and each command run with you: Enter runs it,
                         s skips it, q quits; after each, whether it shows what the lesson
                         says it shows
  lab learn N --yes      run every step without asking
  lab learn N --check    run every step, print one line each, exit 1 on the first that does
                         not match the lesson (what the tests do to every lesson)
  lab learn --file PATH  a lesson file of your own (same format, docs/lessons/README.md)

The lessons' commands need the lab: a lesson's first step starts it in the background and
stops it when the lesson ends; with \`npm run lab\` running in another terminal, that step
says so and the lesson uses it.`;

export interface LearnFlags {
  lesson: number | undefined;
  file: string | undefined;
  yes: boolean;
  check: boolean;
  list: boolean;
}

const tty = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const bold = (s: string) => (tty ? `\u001b[1m${s}\u001b[22m` : s);
const dim = (s: string) => (tty ? `\u001b[2m${s}\u001b[22m` : s);
const green = (s: string) => (tty ? `\u001b[32m${s}\u001b[39m` : s);
const red = (s: string) => (tty ? `\u001b[31m${s}\u001b[39m` : s);

/** `lab learn …` from the command line; resolves to the exit code. */
export async function learnCli(argv: string[], io: Output): Promise<number> {
  let flags: LearnFlags | 'help';
  try {
    flags = parseLearnArgs(argv);
  } catch (err) {
    io.err(`lab learn: ${(err as Error).message} (see lab learn --help)`);
    return 2;
  }
  if (flags === 'help') {
    io.out(LEARN_USAGE);
    return 0;
  }
  try {
    return await runLearn(flags, io);
  } catch (err) {
    if (err instanceof NoSuchLessonError) {
      io.err(`lab learn: ${err.message}`);
      return 2;
    }
    if (err instanceof LessonFormatError) {
      io.err(`lab learn: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export function parseLearnArgs(argv: string[]): LearnFlags | 'help' {
  const { values, positionals } = parseFlags(argv);
  if (values.help === true) return 'help';
  if (positionals.length > 1) throw new Error(`one lesson at a time, not ${positionals.join(' ')}`);
  const text = positionals[0];
  if (text !== undefined && !/^\d+$/.test(text)) {
    throw new Error(`"${text}" is not a lesson number (lab learn --list shows them)`);
  }
  if (text !== undefined && values.file !== undefined)
    throw new Error('a lesson number or --file, not both');
  return {
    lesson: text === undefined ? undefined : Number(text),
    file: values.file,
    yes: values.yes === true,
    check: values.check === true,
    list: values.list === true,
  };
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        yes: { type: 'boolean', short: 'y' },
        check: { type: 'boolean' },
        list: { type: 'boolean' },
        file: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // node's own words are long: "Unknown option '--x'. To specify a positional…".
    const unknown = /Unknown option '([^']+)'/.exec((err as Error).message);
    throw new Error(unknown !== null ? `unknown option ${unknown[1]}` : (err as Error).message);
  }
}

export function listLessons(out: Output): void {
  const lessons = loadLessons();
  out.out(bold('The lessons, in the order to take them (docs/lessons):'));
  for (const lesson of lessons) {
    out.out(
      `  ${String(lesson.number).padStart(2)}  ${lesson.title}  ${dim(`(${lesson.steps.length} steps)`)}`,
    );
  }
  out.out('');
  out.out('Start with: npm run lab:cli -- learn 1');
}

/** Runs lesson N (or a file) with the learner; resolves to the exit code. */
export async function runLearn(flags: LearnFlags, out: Output): Promise<number> {
  if (flags.list || (flags.lesson === undefined && flags.file === undefined)) {
    listLessons(out);
    return 0;
  }
  const lesson = flags.file !== undefined ? loadLessonFile(flags.file) : loadLesson(flags.lesson!);
  const root = repoRoot();
  const ask = !flags.check && !flags.yes && process.stdin.isTTY === true;
  const rl = ask ? createInterface({ input: process.stdin, output: process.stdout }) : null;
  let echoBackground = false;
  // A retried command's attempts are not shown one by one: its last output is, at the end.
  let quiet = false;
  const echo = new LineEcho((line) => out.out(line));
  const runner = new StepRunner({
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0' },
    scripts: npmScripts(root),
    onOutput: (chunk, from) => {
      if (flags.check || (from.background === null ? quiet : !echoBackground)) return;
      echo.write(chunk, from.background);
    },
    onRetry: (attempt, problems) => {
      if (!flags.check)
        out.out(
          dim(`   not yet (${problems[0]}): again in 1 s, as you would (attempt ${attempt + 1})`),
        );
    },
  });
  const stop = () => void runner.stopAll().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  // At the prompt, Ctrl+C reaches readline, not the process.
  rl?.once('SIGINT', stop);
  try {
    const failed = await walk(lesson, runner, {
      rl,
      check: flags.check,
      out,
      root,
      setEcho: (on) => (echoBackground = on),
      setQuiet: (on) => (quiet = on),
      flush: () => echo.flush(),
      echo,
    });
    return failed ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', stop);
    rl?.close();
    if (!flags.check) out.out(dim('Stopping what the lesson started in the background…'));
    await runner.stopAll();
  }
}

interface Walk {
  rl: Interface | null;
  check: boolean;
  out: Output;
  root: string;
  setEcho: (on: boolean) => void;
  setQuiet: (on: boolean) => void;
  flush: () => void;
  echo: LineEcho;
}

/** Shows the lesson and runs its steps; true when a step did not match. */
async function walk(lesson: Lesson, runner: StepRunner, w: Walk): Promise<boolean> {
  const { out } = w;
  const inside = relative(w.root, lesson.file);
  const file = inside.startsWith('..') ? lesson.file : inside;
  const total = lesson.steps.length;
  if (w.check) out.out(`lesson ${lesson.number}: ${lesson.title} (${file}, ${total} steps)`);
  for (const block of lesson.blocks) {
    if (block.kind === 'prose') {
      if (!w.check) out.out(renderProse(block.text));
      continue;
    }
    const step = block.step;
    if (!w.check) {
      out.out(dim(`── step ${step.number} of ${total} · ${file}:${step.line}`));
      out.out(bold(describe(step)));
      if (w.rl !== null) {
        const answer = (await w.rl.question(dim('   Enter: run it · s: skip · q: quit › ')))
          .trim()
          .toLowerCase();
        if (answer === 'q') return false;
        if (answer === 's') continue;
      }
    }
    const retried = step.kind === 'command' && step.retryMs > 0;
    w.setEcho(step.kind !== 'command');
    w.setQuiet(retried);
    const result = await runner.run(step);
    w.setEcho(false);
    w.setQuiet(false);
    if (retried && !w.check)
      w.echo.write(result.output.endsWith('\n') ? result.output : `${result.output}\n`, null);
    w.flush();
    report(step, result, w, file);
    if (!result.ok && (w.check || w.rl === null)) {
      out.out(
        red(
          `lesson ${lesson.number} no longer matches the software: step ${step.number} (${file}:${step.line})`,
        ),
      );
      return true;
    }
  }
  if (!w.check) {
    out.out(
      green(`Lesson ${lesson.number} done.`) +
        (lesson.number > 0 ? ` Next: npm run lab:cli -- learn ${lesson.number + 1}` : ''),
    );
  } else {
    out.out(green(`lesson ${lesson.number}: all ${total} steps match`));
  }
  return false;
}

function describe(step: Step): string {
  if (step.kind === 'wait')
    return `   (waiting for "${step.id}" to show /${step.expect[0]!.pattern.source}/)`;
  const prompt = step.kind === 'background' ? '$ (in the background) ' : '$ ';
  return step.command
    .split('\n')
    .map((line, i) => (i === 0 ? `   ${prompt}${line}` : `     ${line}`))
    .join('\n');
}

function report(step: Step, result: StepResult, w: Walk, file: string): void {
  const seconds = `${(result.ms / 1000).toFixed(1)} s`;
  if (w.check) {
    const what = step.kind === 'wait' ? `wait ${step.id}` : step.command.split('\n')[0]!;
    w.out.out(
      `  ${result.ok ? '✓' : '✗'} step ${step.number}  ${what}  ${seconds}${result.reused ? ' (already running)' : ''}`,
    );
    if (!result.ok) {
      for (const problem of result.problems) w.out.out(`      ${problem}`);
      w.out.out(`      at ${file}:${step.line}; its output, last lines:`);
      w.out.out(indent(tail(result.output, 20), null));
    }
    return;
  }
  if (result.reused)
    w.out.out(dim('   already running (from an earlier step); the lesson uses it'));
  if (result.ok) w.out.out(green(`   ✓ as the lesson says (${seconds})`));
  else w.out.out(red(`   ✗ not what the lesson says: ${result.problems.join('; ')}`));
}

/** Markdown as a terminal shows it: comments gone, headings bold, code indented. */
export function renderProse(text: string): string {
  let inCode = false;
  return text
    .replace(/<!--[\s\S]*?-->/g, '')
    .split('\n')
    .flatMap((line) => {
      if (line.startsWith('```')) {
        inCode = !inCode;
        return [];
      }
      if (inCode) return [dim(`    ${line}`)];
      if (line.startsWith('#')) return [bold(line.replace(/^#+\s*/, ''))];
      return [
        line
          .replace(/`([^`]+)`/g, (_, code: string) => bold(code))
          .replace(/\*\*([^*]+)\*\*/g, (_, strong: string) => bold(strong))
          .replace(
            /\[([^\]]+)\]\(([^)]+)\)/g,
            (_, text: string, href: string) => `${text} (${href})`,
          ),
      ];
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

function indent(text: string, from: string | null): string {
  const prefix = from === null ? '   │ ' : `   │ [${from}] `;
  return (
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => prefix + l)
      .join('\n') + '\n'
  );
}

function tail(text: string, lines: number): string {
  return text.replace(/\n$/, '').split('\n').slice(-lines).join('\n');
}

/** Output printed whole lines at a time, each under the step it belongs to. */
class LineEcho {
  private readonly partial = new Map<string | null, string>();

  constructor(private readonly line: (text: string) => void) {}

  write(chunk: string, from: string | null): void {
    const lines = ((this.partial.get(from) ?? '') + chunk).split('\n');
    this.partial.set(from, lines.pop()!);
    for (const line of lines) this.line(indent(line, from).replace(/\n$/, ''));
  }

  flush(): void {
    for (const [from, rest] of this.partial)
      if (rest !== '') this.line(indent(rest, from).replace(/\n$/, ''));
    this.partial.clear();
  }
}

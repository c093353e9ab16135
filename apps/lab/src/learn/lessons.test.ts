/**
 * Every command of every lesson, run against a real lab, in the lessons' order, as a learner
 * takes them: one lab for all (each lesson's first step, `npm run lab`, starts it once; the
 * next lessons find it running). Lesson 1 is taken the way a learner takes it, in a real
 * terminal (tmux) with `lab learn 1`, pressing Enter at each step; the others through the
 * same runner `lab learn --check` uses. A lesson whose output no longer matches fails, and
 * the last test shows that it does, on a lesson with one expectation changed. Build first
 * (`npm test` does).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTerminals } from '@zk-lab/test';
import { belongsTo, MAIN } from '../__tests__/lab-processes';
import { loadLessons, npmScripts, repoRoot } from './lesson-files';
import type { Lesson } from './lesson-parse';
import { StepRunner } from './step-runner';

const ROOT = repoRoot();
const lessons = loadLessons();
const state = mkdtempSync(join(tmpdir(), 'zk-lab-lessons-'));
const env = { ...process.env, ZK_LAB_STATE: state, FORCE_COLOR: '0' };
// Not the default 8089, which a learner's own lab may hold.
const runner = new StepRunner({ cwd: ROOT, env, scripts: npmScripts(ROOT) });

/** Every process this file's lab started (its state folder is in their environment). */
function labPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid && belongsTo(pid, state));
}

async function runLesson(lesson: Lesson): Promise<void> {
  for (const step of lesson.steps) {
    const result = await runner.run(step);
    if (!result.ok) {
      const what = step.kind === 'wait' ? `wait ${step.id}` : step.command;
      throw new Error(
        `lesson ${lesson.number} (${lesson.file}:${step.line}), step ${step.number}: ${what}\n` +
          `${result.problems.join('\n')}\n--- its output, last lines ---\n` +
          result.output.split('\n').slice(-30).join('\n'),
      );
    }
  }
}

beforeAll(() => {
  expect(existsSync(MAIN)).toBe(true);
});

afterAll(async () => {
  // `npm run lab` stops everything it started on Ctrl+C; anything left is killed.
  await runner.stopAll();
  for (const pid of labPids()) process.kill(pid, 'SIGKILL');
  rmSync(state, { recursive: true, force: true });
}, 60_000);

describe('lesson 1 with lab learn, in a real terminal', () => {
  const terminals = useTerminals();

  it('walks the learner through every step: Enter runs it, each shows what the lesson says', async () => {
    // The lab is up first (the lesson's own first step, run by this file's runner), so that
    // `lab learn` finds it running and leaves it up when it ends.
    const first = lessons[0]!;
    expect((await runner.run(first.steps[0]!)).ok).toBe(true);
    const term = await terminals.open(['node', MAIN, 'learn', '1'], {
      cols: 110,
      rows: 60,
      env: { ZK_LAB_STATE: state, FORCE_COLOR: '0' },
    });
    const total = first.steps.length;
    for (let n = 1; n <= total; n++) {
      const screen = await term.waitForScreen(
        new RegExp(
          `── step ${n} of ${total}[^\\n]*\\n(?:.*\\n)*.*Enter: run it · s: skip · q: quit › *$`,
          'm',
        ),
        30_000,
      );
      if (n > 1) {
        // The step before, as the learner saw it: its result, and no failure anywhere.
        expect(screen).toMatch(/✓ as the lesson says \(\d+\.\d s\)/);
        expect(screen).not.toMatch(/✗/);
      }
      await term.press('Enter');
    }
    const end = await term.waitForScreen(
      /Lesson 1 done\. Next: npm run lab:cli -- learn 2/,
      60_000,
    );
    expect(end).not.toMatch(/✗/);
    expect(await term.waitForExit(30_000)).toBe(0);
    // What the learner read: the lesson's own words and its questions.
    expect(end).toMatch(/What is an epoch for/);
  }, 180_000);
});

describe('every lesson, in order, on one lab', () => {
  it.each(lessons.slice(1).map((l) => [l.number, l.title, l] as const))(
    'lesson %i, %s: every command shows what the lesson says',
    async (_n, _title, lesson) => {
      await runLesson(lesson);
    },
    300_000,
  );
});

describe('a lesson that no longer matches the software', () => {
  it('fails: lab learn --check exits 1 and names the step, the file and line, and what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-lab-planted-lesson-'));
    try {
      // As if the masters' election nodes had been renamed: one expectation of lesson 1 changed.
      const text = readFileSync(lessons[0]!.file, 'utf8').replace(
        '<!-- expect: latch-\\d{10} -->',
        '<!-- expect: ballot-\\d{10} -->',
      );
      expect(text).toContain('ballot-');
      const file = join(dir, '01-planted.md');
      writeFileSync(file, text);
      const run = spawnSync(process.execPath, [MAIN, 'learn', '--file', file, '--check'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(/✓ step 2 {2}npm run lab:cli -- status {2}\d+\.\d s/);
      expect(run.stdout).toMatch(/✗ step 3 {2}npm run zk -- ls -l \/zk-lab\/election/);
      expect(run.stdout).toContain('does not show /ballot-\\d{10}/');
      expect(run.stdout).toContain(`at ${file}:`);
      expect(run.stdout).toMatch(/lesson 1 no longer matches the software: step 3/);
      // Its output shows what the learner would have seen instead.
      expect(run.stdout).toMatch(/│ .*latch-\d{10}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

/**
 * Runs a lesson's steps as a learner would in a terminal: each command through bash in the
 * repository's folder, its stdout and stderr together. `npm run NAME -- ARGS` runs the
 * script's own command (package.json) with ARGS, as npm would, without npm and without the
 * script's pre-script (the build, which `npm run lab` or `npm test` did already): one shell
 * command costs 0.3 s instead of 2.5 s. Background steps keep running until `stopAll()`;
 * the same background command is started once per runner, so one lab serves many lessons.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { BackgroundStep, CommandStep, Expectation, Step, WaitStep } from './lesson-parse';

export interface StepResult {
  ok: boolean;
  /** What the step printed (the last attempt's, for a retried command). */
  output: string;
  exitCode: number | null;
  /** One line per unmet expectation or problem; empty when ok. */
  problems: string[];
  attempts: number;
  /** A background command already running: not started again. */
  reused: boolean;
  ms: number;
}

export interface StepRunnerOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** package.json's scripts, for `npm run NAME`. */
  scripts: Record<string, string>;
  /** Each chunk a step prints, as it comes (the learner's view); background output too. */
  onOutput?: (chunk: string, from: { background: string | null }) => void;
  /** Between attempts of a retried command. */
  onRetry?: (attempt: number, problems: string[]) => void;
  retryEveryMs?: number;
}

interface Background {
  command: string;
  child: ChildProcess;
  output: string;
  exited: Promise<number | null>;
  done: boolean;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const NPM_RUN = /(^|[\n;&|(]\s*)npm run ([\w:.-]+)(?: --(?=\s|$))?/g;

/** `npm run zk -- ls /` → `node apps/shell/dist/main.js ls /` (a name with no script stays). */
export function directCommand(command: string, scripts: Record<string, string>): string {
  return command.replace(NPM_RUN, (whole, before: string, name: string) => {
    const script = scripts[name];
    return script === undefined ? whole : `${before}${script}`;
  });
}

/** The expectations `output` does not meet, one line each. */
export function unmet(output: string, expect: Expectation[]): string[] {
  const plain = output.replace(ANSI, '');
  return expect
    .filter((e) => e.pattern.test(plain) === e.absent)
    .map((e) => `${e.absent ? 'shows' : 'does not show'} /${e.pattern.source}/`);
}

export class StepRunner {
  private readonly backgrounds = new Map<string, Background>();

  constructor(private readonly options: StepRunnerOptions) {}

  async run(step: Step): Promise<StepResult> {
    const started = Date.now();
    const result =
      step.kind === 'command'
        ? await this.command(step)
        : step.kind === 'background'
          ? await this.background(step)
          : await this.wait(step);
    return { ...result, ms: Date.now() - started };
  }

  /** Stops every background command (Ctrl+C, then SIGKILL after `graceMs`) and waits. */
  async stopAll(graceMs = 20_000): Promise<void> {
    const all = [...this.backgrounds.values()];
    this.backgrounds.clear();
    await Promise.all(
      all.map(async (bg) => {
        if (bg.done) return;
        signalGroup(bg.child, 'SIGINT');
        const timer = setTimeout(() => signalGroup(bg.child, 'SIGKILL'), graceMs);
        await bg.exited;
        clearTimeout(timer);
      }),
    );
  }

  private async command(step: CommandStep): Promise<Omit<StepResult, 'ms'>> {
    const deadline = Date.now() + step.retryMs;
    for (let attempt = 1; ; attempt++) {
      const { output, exitCode, timedOut } = await this.once(step.command, step.timeoutMs);
      const problems = timedOut ? [`did not finish within ${step.timeoutMs / 1000} s`] : [];
      if (!timedOut && step.exitCode !== null && exitCode !== step.exitCode) {
        problems.push(`exited with ${exitCode ?? 'a signal'}, not ${step.exitCode}`);
      }
      problems.push(...unmet(output, step.expect));
      if (problems.length === 0 || Date.now() >= deadline) {
        return {
          ok: problems.length === 0,
          output,
          exitCode,
          problems,
          attempts: attempt,
          reused: false,
        };
      }
      this.options.onRetry?.(attempt, problems);
      await sleep(this.options.retryEveryMs ?? 1_000);
    }
  }

  private async background(step: BackgroundStep): Promise<Omit<StepResult, 'ms'>> {
    const running = this.backgrounds.get(step.id);
    const same = [...this.backgrounds.values()].find(
      (bg) => bg.command === step.command && !bg.done,
    );
    if (same !== undefined) {
      if (running === undefined) this.backgrounds.set(step.id, same);
      return { ok: true, output: '', exitCode: null, problems: [], attempts: 1, reused: true };
    }
    const child = this.spawn(step.command);
    const bg: Background = {
      command: step.command,
      child,
      output: '',
      done: false,
      exited: new Promise((resolve) =>
        child.on('close', (code) => {
          bg.done = true;
          resolve(code);
        }),
      ),
    };
    onOutputOf(child, (text) => {
      bg.output += text;
      this.options.onOutput?.(text, { background: step.id });
    });
    this.backgrounds.set(step.id, bg);
    return this.until(bg, step.expect, step.timeoutMs);
  }

  private async wait(step: WaitStep): Promise<Omit<StepResult, 'ms'>> {
    const bg = this.backgrounds.get(step.id);
    if (bg === undefined) {
      const problems = [`background step ${step.id} was not started`];
      return { ok: false, output: '', exitCode: null, problems, attempts: 1, reused: false };
    }
    return this.until(bg, step.expect, step.timeoutMs);
  }

  /** Waits until a background's output meets `expect`, it exits, or `timeoutMs` passes. */
  private async until(
    bg: Background,
    expect: Expectation[],
    timeoutMs: number,
  ): Promise<Omit<StepResult, 'ms'>> {
    const deadline = Date.now() + timeoutMs;
    let problems = unmet(bg.output, expect);
    while (problems.length > 0 && !bg.done && Date.now() < deadline) {
      await sleep(100);
      problems = unmet(bg.output, expect);
    }
    if (problems.length > 0)
      problems.push(bg.done ? 'it exited' : `not within ${timeoutMs / 1000} s`);
    const ok = problems.length === 0;
    return { ok, output: bg.output, exitCode: null, problems, attempts: 1, reused: false };
  }

  private once(
    command: string,
    timeoutMs: number,
  ): Promise<{ output: string; exitCode: number | null; timedOut: boolean }> {
    return new Promise((resolve) => {
      const child = this.spawn(command);
      let output = '';
      let timedOut = false;
      onOutputOf(child, (text) => {
        output += text;
        this.options.onOutput?.(text, { background: null });
      });
      const timer = setTimeout(() => {
        timedOut = true;
        signalGroup(child, 'SIGKILL');
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ output, exitCode: code, timedOut });
      });
    });
  }

  private spawn(command: string): ChildProcess {
    // A group of its own: a timeout or stopAll signals the command and everything it started.
    return spawn('bash', ['-o', 'pipefail', '-c', directCommand(command, this.options.scripts)], {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  }
}

/** stdout and stderr together, as a terminal shows them. */
function onOutputOf(child: ChildProcess, take: (text: string) => void): void {
  child.stdout!.on('data', (chunk: Buffer) => take(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => take(chunk.toString()));
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

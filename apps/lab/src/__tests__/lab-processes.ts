/**
 * The lab CLI as real processes, for the tests: `lab up` in the foreground with its digest
 * read line by line, other `lab` commands run to completion, and the checks on pids.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

// The CLI as the user runs it: the built entry point (npm test builds first).
export const MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `lab ARGS --state STATE` to its end (without blocking this process's event loop). */
export function lab(args: string[], state: string): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [MAIN, ...args, '--state', state],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

/** Alive means running or stopped; a zombie waiting to be reaped is dead. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const at = stat.lastIndexOf(')') + 2;
    return !['Z', 'X'].includes(stat.slice(at, at + 1));
  } catch {
    return false;
  }
}

/** Does `pid` belong to this test's lab (its state folder in its command line or environment)? */
export function belongsTo(pid: number, state: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return cmdline.includes(state) || environ.includes(state);
  } catch {
    return false;
  }
}

/** Waits until `condition` holds; throws with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

/** A foreground `lab up`: its digest (stdout) and its progress (stderr), line by line. */
export class LabUp {
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  private exit: Promise<number | null>;

  constructor(args: string[], state: string) {
    this.child = spawn(process.execPath, [MAIN, 'up', ...args, '--state', state]);
    createInterface({ input: this.child.stdout }).on('line', (line) => this.lines.push(line));
    createInterface({ input: this.child.stderr }).on('line', (line) => this.errLines.push(line));
    this.exit = new Promise((resolveExit) => this.child.once('exit', (code) => resolveExit(code)));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('lab up did not start');
    return this.child.pid;
  }

  /** Waits for a digest line that matches; returns it. */
  async waitForLine(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    let found: string | undefined;
    await eventually(
      `a line matching ${pattern} (digest so far:\n${this.lines.join('\n')}\n${this.errLines.join('\n')})`,
      () => {
        found = this.lines.slice(from).find((line) => pattern.test(line));
        return found !== undefined || this.child.exitCode !== null;
      },
      timeoutMs,
    );
    if (found === undefined) {
      throw new Error(`lab up exited (${this.child.exitCode}):\n${this.errLines.join('\n')}`);
    }
    return found;
  }

  /** Waits until `lab up` says the lab is up. */
  async waitUntilUp(timeoutMs = 60_000): Promise<void> {
    await eventually(
      `"the lab is up" (stderr so far:\n${this.errLines.join('\n')})`,
      () => {
        if (this.child.exitCode !== null) {
          throw new Error(`lab up exited (${this.child.exitCode}):\n${this.errLines.join('\n')}`);
        }
        return this.errLines.some((line) => line.includes('the lab is up'));
      },
      timeoutMs,
    );
  }

  exited(): Promise<number | null> {
    return this.exit;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

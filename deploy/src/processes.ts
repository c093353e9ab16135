import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * True when `pid` is a live (not zombie) process whose command line contains `marker`.
 * The marker (a server's config path) guards against a recycled pid: the runner never
 * signals a process it did not start.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.split('\0').includes(marker)) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Is the process stopped by SIGSTOP? Every thread must be (state T): a JVM's threads stop
 * one by one, and one still running can still send.
 */
export function isPaused(pid: number): boolean {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return (
      tasks.length > 0 &&
      tasks.every((task) => {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state === 'T' || state === 't';
      })
    );
  } catch {
    return false;
  }
}

/** Is at least one thread of the process still stopped? */
export function isPartlyPaused(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some((task) => {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't';
    });
  } catch {
    return false;
  }
}

/** Sends a signal if the process is ours; returns whether it was sent. */
export function signalOurProcess(pid: number, marker: string, signal: NodeJS.Signals): boolean {
  if (!isOurProcess(pid, marker)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone; returns false if it is still there after `timeoutMs`. */
export async function waitForExit(
  pid: number,
  marker: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isOurProcess(pid, marker)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/** The last `lines` lines of a text file, or a note that it cannot be read. */
export function tailOf(path: string, lines = 25): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${path}: ${(err as Error).message})`;
  }
}

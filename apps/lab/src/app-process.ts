/**
 * The processes of the lab's apps: start one, tell whether a pid is still that app, signal
 * it. A pid is only ever signalled after /proc says it runs that app's command line with the
 * lab's marker in its environment: a recycled pid (a stranger) is never touched.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppRecord } from './app-state';

/** The environment variable that marks a process as one of the lab's apps. */
export const APP_MARKER = 'ZK_LAB_APP';

/** The marker of `app` in the lab whose apps.json is `stateFile`. */
export function appMarker(name: string, stateFile: string): string {
  return `${name}@${stateFile}`;
}

export type ProcessState = 'running' | 'paused' | 'gone';

/** running, paused (SIGSTOP) or gone (exited, a zombie, or now another program). */
export function appProcessState(
  app: Pick<AppRecord, 'pid' | 'script' | 'args' | 'env'>,
): ProcessState {
  const pid = app.pid;
  if (pid === null || !isAppProcess(pid, app)) return 'gone';
  return isStopped(pid) ? 'paused' : 'running';
}

/** Is `pid` a live process running this app, started by this lab? */
export function isAppProcess(
  pid: number,
  app: Pick<AppRecord, 'script' | 'args' | 'env'>,
): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1);
    const expected = [app.script, ...app.args];
    if (argv.length !== expected.length || argv.some((arg, i) => arg !== expected[i])) return false;
    const marker = app.env[APP_MARKER];
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (marker === undefined || !environ.includes(`${APP_MARKER}=${marker}`)) return false;
    const state = statState(`/proc/${pid}/stat`);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Stopped means every thread is (a process stops thread by thread). */
function isStopped(pid: number): boolean {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return (
      tasks.length > 0 &&
      tasks.every((task) => ['T', 't'].includes(statState(`/proc/${pid}/task/${task}/stat`)))
    );
  } catch {
    return false;
  }
}

/** The state letter of a /proc stat file; it follows the parenthesised command name. */
function statState(path: string): string {
  const stat = readFileSync(path, 'utf8');
  const at = stat.lastIndexOf(')') + 2;
  return stat.slice(at, at + 1);
}

/**
 * Starts an app with its output appended to its log file, in its own process group, so
 * that a Ctrl+C in the lab's terminal reaches `lab up` alone, which stops the apps in order.
 * `owned`: the caller keeps the child (and hears its exit); otherwise it is let go.
 */
export function spawnApp(app: AppRecord, owned: boolean): ChildProcess {
  mkdirSync(dirname(app.logPath), { recursive: true });
  const log = openSync(app.logPath, 'a');
  try {
    const child = spawn(process.execPath, [app.script, ...app.args], {
      env: { ...process.env, ...app.env },
      stdio: ['ignore', log, log],
      detached: true,
    });
    if (child.pid === undefined) throw new AppStartError(`could not start ${app.name}`);
    if (!owned) child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** An app could not be started, or exited while starting. */
export class AppStartError extends Error {
  override readonly name = 'AppStartError';
}

/** An app is not in the state a command needs (not running, already running). */
export class AppStateError extends Error {
  override readonly name = 'AppStateError';
}

/** Sends a signal if the pid is still the app; returns whether it was sent. */
export function signalApp(app: AppRecord, signal: NodeJS.Signals): boolean {
  if (app.pid === null || !isAppProcess(app.pid, app)) return false;
  try {
    process.kill(app.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the app's process is gone; false if it is still there after `timeoutMs`.
 * Gone means no process or a zombie: an exiting process loses its command line before it
 * is a zombie, so the identity check alone would call it gone too early.
 */
export async function waitForAppExit(app: AppRecord, timeoutMs: number): Promise<boolean> {
  const pid = app.pid;
  const deadline = Date.now() + timeoutMs;
  while (pid !== null && processExists(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/** A process with this pid runs or is stopped (a zombie does not count). */
function processExists(pid: number): boolean {
  try {
    const state = statState(`/proc/${pid}/stat`);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Stops an app: SIGTERM (after SIGCONT if it is paused: a stopped process only acts on
 * SIGTERM once it runs), then SIGKILL if it is still there after `graceMs`.
 * Returns how it ended: 'SIGTERM', 'SIGKILL', or null when it was not running.
 */
export async function stopApp(
  app: AppRecord,
  graceMs: number,
): Promise<'SIGTERM' | 'SIGKILL' | null> {
  if (!signalApp(app, 'SIGCONT')) return null;
  signalApp(app, 'SIGTERM');
  if (await waitForAppExit(app, graceMs)) return 'SIGTERM';
  signalApp(app, 'SIGKILL');
  await waitForAppExit(app, 5_000);
  return 'SIGKILL';
}

/**
 * Is `pid` a live `lab up`, or a `lab chaos` that brought up a lab of its own? (The pid of
 * a dead owner may belong to anything by now.)
 */
export function isLabUpProcess(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (
      argv.some((arg) => arg.endsWith('main.js')) && (argv.includes('up') || argv.includes('chaos'))
    );
  } catch {
    return false;
  }
}

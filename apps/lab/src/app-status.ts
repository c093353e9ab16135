/**
 * What each app says about itself (GET /status), and the one-word role the lab shows for it.
 */
import { appProcessState, type ProcessState } from './app-process';
import type { AppRecord } from './app-state';

/** The part of a master's /status the lab reads. */
export interface MasterStatusBody {
  state: string;
  leaderId: string | null;
  epoch: number | null;
  queueDepth: number | null;
}

/** The part of a worker's /status the lab reads. */
export interface WorkerStatusBody {
  registered: boolean;
  capacity: number;
  running: unknown[];
}

/** One app as `lab status` reports it. */
export interface AppReport {
  name: string;
  kind: AppRecord['kind'];
  pid: number | null;
  /** up, down (no process), paused (SIGSTOP), or unresponsive (no /status answer in time). */
  state: 'up' | 'down' | 'paused' | 'unresponsive';
  role: string;
  port: number | null;
  logPath: string;
  /** The app's /status, as it answered. */
  status: Record<string, unknown> | null;
}

export const STATUS_TIMEOUT_MS = 1_000;

/** GET /status of the app on `port`, or null when it does not answer in time. */
export async function fetchStatus(
  port: number,
  timeoutMs = STATUS_TIMEOUT_MS,
): Promise<Record<string, unknown> | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return null;
    const body = await response.json();
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The app's process state, its /status, and its role in a word or three. */
export async function reportApp(app: AppRecord): Promise<AppReport> {
  const process = appProcessState(app);
  const base = { name: app.name, kind: app.kind, port: app.port, logPath: app.logPath };
  if (process !== 'running' || app.port === null) {
    return {
      ...base,
      pid: process === 'gone' ? null : app.pid,
      state: stateOf(process),
      role: process === 'running' ? producerRole(app) : '-',
      status: null,
    };
  }
  const status = await fetchStatus(app.port);
  if (status === null) return { ...base, pid: app.pid, state: 'unresponsive', role: '?', status };
  return { ...base, pid: app.pid, state: 'up', role: roleOf(app, status), status };
}

function stateOf(process: ProcessState): AppReport['state'] {
  return process === 'gone' ? 'down' : process === 'paused' ? 'paused' : 'up';
}

function roleOf(app: AppRecord, status: Record<string, unknown>): string {
  if (app.kind === 'master') {
    const master = status as unknown as MasterStatusBody;
    if (master.state === 'leader') return `leader (epoch ${master.epoch ?? '?'})`;
    if (master.state === 'follower') return `follower (${master.leaderId ?? 'no'} leads)`;
    return master.state;
  }
  const worker = status as unknown as WorkerStatusBody;
  const running = Array.isArray(worker.running) ? worker.running.length : 0;
  return `${worker.registered ? 'registered' : 'not registered'}, ${running}/${worker.capacity} running`;
}

/** The producer has no HTTP: its role is what it streams. */
function producerRole(app: AppRecord): string {
  const arg = (flag: string) => app.args[app.args.indexOf(flag) + 1] ?? '?';
  return `${arg('--type')} jobs, ${arg('--rate')}/s`;
}

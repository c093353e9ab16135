/**
 * What `lab up` runs: masters m1..mN and workers w1..wN (each with its own HTTP port) and a
 * producer streaming jobs, all on the lab's ensemble and root.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_ROOT, JobSpecSchema, type JobSpec } from '@zk-lab/lab-core';
import { validatePath } from '@zk-lab/zk-client';
import { APP_MARKER, appMarker } from './app-process';
import { appsStatePath, logsDir, type AppKind, type AppRecord } from './app-state';
import { UsageError } from './options';

/** The apps' session timeout: a killed app is noticed within about 4 s. */
export const APP_SESSION_TIMEOUT_MS = 4_000;

/**
 * One producer run is about this many jobs (its memory holds one entry per job for its
 * summary), so `lab up` streams in runs of a bounded size and starts the next when one ends.
 */
const JOBS_PER_PRODUCER_RUN = 2_000;
const MIN_PRODUCER_RUN_S = 60;
const MAX_PRODUCER_RUN_S = 3_600;

/** The producer's own bounds on one run (apps/producer/src/args.ts): jobs and seconds. */
const PRODUCER_MAX_JOBS = 1_000_000;
const PRODUCER_MAX_SECONDS = 86_400;

/** The longest stream the producer accepts at this rate: its job and duration bounds both hold. */
export function longestProducerRunS(rate: number): number {
  return Math.min(PRODUCER_MAX_SECONDS, Math.floor(PRODUCER_MAX_JOBS / rate));
}

export interface AppPlan {
  masters: number;
  workers: number;
  /** Jobs per second; 0: no producer. */
  rate: number;
  job: JobSpec;
  root: string;
  /** The apps' session timeout; default APP_SESSION_TIMEOUT_MS. */
  sessionTimeoutMs?: number;
  /**
   * How long one producer run streams; default: about JOBS_PER_PRODUCER_RUN jobs' worth.
   * `lab chaos` makes it span the whole experiment, so that a producer's end is a fault.
   */
  producerRunS?: number;
}

/** The built entry point of an app (`npm run build` makes it). */
export function appScript(kind: AppKind): string {
  return resolve(__dirname, '..', '..', kind, 'dist', 'main.js');
}

/** Every app entry point the plan needs must be built. */
export function checkAppsBuilt(plan: AppPlan): void {
  const kinds: AppKind[] = ['master'];
  if (plan.workers > 0) kinds.push('worker');
  if (plan.rate > 0) kinds.push('producer');
  const missing = kinds.map(appScript).filter((script) => !existsSync(script));
  if (missing.length > 0) {
    throw new AppsNotBuiltError(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: build the apps ` +
        'first (npm run build; `npm run lab` does it)',
    );
  }
}

/** An app's entry point is not built. */
export class AppsNotBuiltError extends Error {
  override readonly name = 'AppsNotBuiltError';
}

/** The payload of each job type when --payload is not given. */
const DEFAULT_PAYLOADS: Record<string, string> = {
  sleep: '{"ms":500}',
  cpu: '{"ms":200}',
  flaky: '{"failureRate":0.3,"ms":200}',
};

/** The job type and payload flags, checked as the producer checks them. */
export function parseJobFlags(type: string | undefined, payload: string | undefined): JobSpec {
  const jobType = type ?? 'sleep';
  let json: unknown;
  try {
    json = JSON.parse(payload ?? DEFAULT_PAYLOADS[jobType] ?? '{}') as unknown;
  } catch (err) {
    throw new UsageError(`--payload is not JSON: ${(err as Error).message}`);
  }
  const parsed = JobSpecSchema.safeParse({ type: jobType, payload: json });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new UsageError(`bad job: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export function parseRoot(root: string | undefined): string {
  const path = root ?? DEFAULT_ROOT;
  try {
    validatePath(path, { op: 'root' });
  } catch (err) {
    throw new UsageError(`bad --root ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  if (path === '/') throw new UsageError('--root cannot be "/"');
  return path;
}

/** The names of the apps of a plan: m1..mN, w1..wN and the producer. */
export function appNames(plan: AppPlan): string[] {
  const names = [
    ...Array.from({ length: plan.masters }, (_, i) => `m${i + 1}`),
    ...Array.from({ length: plan.workers }, (_, i) => `w${i + 1}`),
  ];
  if (plan.rate > 0) names.push('producer');
  return names;
}

/**
 * The files the chaos judge reads, which the apps append to and never read: the producer's
 * record of every job it creates, and the workers' log of every handler run.
 */
export function recordsDir(labState: string): string {
  return join(labState, 'records');
}

export function producerRecordPath(labState: string): string {
  return join(recordsDir(labState), 'producer.jsonl');
}

export function executionLogPath(labState: string): string {
  return join(recordsDir(labState), 'executions.jsonl');
}

/**
 * The records of every app (no pid yet), masters and workers on the given ports; each app
 * connects with the connect string `connectFor` gives it (its own links through the proxy).
 */
export function planApps(
  labState: string,
  plan: AppPlan,
  connectFor: (name: string) => string,
  ports: number[],
): AppRecord[] {
  const stateFile = appsStatePath(labState);
  const record = (name: string, kind: AppKind, args: string[], port: number | null): AppRecord => ({
    name,
    kind,
    script: appScript(kind),
    args,
    env: {
      ZK_CONNECT: connectFor(name),
      ZK_ROOT: plan.root,
      ZK_SESSION_TIMEOUT_MS: String(plan.sessionTimeoutMs ?? APP_SESSION_TIMEOUT_MS),
      // The lab is for looking: every node readable by anyone (off by default elsewhere).
      ZK_WORLD_READ: '1',
      [APP_MARKER]: appMarker(name, stateFile),
      ...(kind === 'producer' ? { ZK_LAB_PRODUCER_RECORD: producerRecordPath(labState) } : {}),
      ...(kind === 'worker' ? { ZK_LAB_EXECUTION_LOG: executionLogPath(labState) } : {}),
    },
    port,
    logPath: join(logsDir(labState), `${name}.log`),
    pid: null,
    lastSignal: null,
  });
  const service = (kind: 'master' | 'worker', count: number, prefix: string, offset: number) =>
    Array.from({ length: count }, (_, i) => {
      const port = ports[offset + i];
      if (port === undefined) throw new RangeError(`no port for ${prefix}${i + 1}`);
      return record(
        `${prefix}${i + 1}`,
        kind,
        ['--id', `${prefix}${i + 1}`, '--http-port', String(port)],
        port,
      );
    });
  const apps = [
    ...service('master', plan.masters, 'm', 0),
    ...service('worker', plan.workers, 'w', plan.masters),
  ];
  if (plan.rate > 0) apps.push(record('producer', 'producer', producerArgs(plan), null));
  return apps;
}

/** One producer run: the stream at the rate asked for, for a bounded number of jobs. */
function producerArgs(plan: AppPlan): string[] {
  const seconds = Math.min(
    longestProducerRunS(plan.rate),
    plan.producerRunS ??
      Math.min(
        MAX_PRODUCER_RUN_S,
        Math.max(MIN_PRODUCER_RUN_S, Math.ceil(JOBS_PER_PRODUCER_RUN / plan.rate)),
      ),
  );
  return [
    '--type',
    plan.job.type,
    '--payload',
    JSON.stringify(plan.job.payload),
    '--rate',
    String(plan.rate),
    '--duration',
    String(seconds),
  ];
}

/** How many HTTP ports the plan needs. */
export function portsNeeded(plan: AppPlan): number {
  return plan.masters + plan.workers;
}

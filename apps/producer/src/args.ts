/**
 * The producer's flags, parsed into a typed options object. Anything malformed is a
 * UsageError (exit code 2, with the usage line); the job itself (type, payload) is checked
 * later by the job factory, against the schemas.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ConnectionFlags, DEFAULT_ROOT } from '@zk-lab/lab-core';

/** Thrown for bad flags: printed with the usage line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE_LINE =
  'usage: produce [--type T] [--payload JSON] [--count N | --rate R --duration S] ' +
  '[--wait [--wait-timeout S]] [--max-wait S] [--record FILE] [--json] ' +
  '[--connect HOST:PORT,...] [--root PATH] ' +
  '[--session-timeout MS] [--connect-timeout MS]';

/** How many jobs, and at what pace. */
export type ProduceMode =
  | { kind: 'single' }
  | { kind: 'batch'; count: number }
  | { kind: 'stream'; rate: number; durationS: number; count: number };

export interface ProducerOptions {
  type: string;
  /** The payload as typed (JSON text); undefined when omitted. */
  payload: string | undefined;
  mode: ProduceMode;
  /** Wait for every job's result or dead record, at most `timeoutMs`; null: do not wait. */
  wait: { timeoutMs: number } | null;
  /** How long the run may be held back by a full queue (or an outage) before exit 75. */
  maxWaitMs: number;
  /** The record file (--record, else ZK_LAB_PRODUCER_RECORD); null: none. */
  record: string | null;
  json: boolean;
  connection: ConnectionFlags;
  connectTimeoutMs: number;
}

export type ParsedArgs = { help: true } | { help: false; options: ProducerOptions };

export const DEFAULT_TYPE = 'echo';
export const DEFAULT_WAIT_TIMEOUT_S = 300;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_WAIT_S = 300;
const MAX_COUNT = 1_000_000;
const MAX_RATE = 100_000;
const MAX_SECONDS = 86_400;

const DECIMAL = /^\d+(\.\d+)?$/;

interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
}

/** A flag's number, strictly: no empty strings, signs, units or exponents slip through. */
function numberFlag(flag: string, raw: string, rule: NumberRule): number {
  const value = DECIMAL.test(raw) ? Number(raw) : NaN;
  const kind = rule.integer ? 'an integer' : 'a number';
  if (
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    value < rule.min ||
    value > rule.max
  ) {
    throw new UsageError(
      `--${flag} ${JSON.stringify(raw)}: expected ${kind} from ${rule.min} to ${rule.max}`,
    );
  }
  return value;
}

/** Jobs in a stream: one every 1/R s from t = 0 while t < S (rounded against float noise). */
export function streamCount(rate: number, durationS: number): number {
  return Math.ceil(Math.round(rate * durationS * 1e6) / 1e6);
}

/** How many jobs a run means to create. */
export function plannedJobs(mode: ProduceMode): number {
  return mode.kind === 'single' ? 1 : mode.count;
}

function parseMode(count?: string, rate?: string, duration?: string): ProduceMode {
  if (count !== undefined && (rate !== undefined || duration !== undefined)) {
    throw new UsageError('--count and --rate/--duration are two modes: choose one');
  }
  if (count !== undefined) {
    return {
      kind: 'batch',
      count: numberFlag('count', count, { integer: true, min: 1, max: MAX_COUNT }),
    };
  }
  if (rate === undefined && duration === undefined) return { kind: 'single' };
  if (rate === undefined) throw new UsageError('--duration needs --rate (jobs per second)');
  if (duration === undefined) throw new UsageError('--rate needs --duration (seconds)');
  const r = numberFlag('rate', rate, { integer: false, min: 0.001, max: MAX_RATE });
  const s = numberFlag('duration', duration, { integer: false, min: 0.001, max: MAX_SECONDS });
  const jobs = streamCount(r, s);
  if (jobs > MAX_COUNT) {
    throw new UsageError(
      `--rate ${rate} --duration ${duration} is ${jobs} jobs: at most ${MAX_COUNT}`,
    );
  }
  return { kind: 'stream', rate: r, durationS: s, count: jobs };
}

export function parseProducerArgs(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        type: { type: 'string' },
        payload: { type: 'string' },
        count: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        wait: { type: 'boolean' },
        'wait-timeout': { type: 'string' },
        'max-wait': { type: 'string' },
        record: { type: 'string' },
        json: { type: 'boolean' },
        connect: { type: 'string' },
        root: { type: 'string' },
        'session-timeout': { type: 'string' },
        'connect-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // node's messages name the flag ("Unknown option '--bogus'"): clear as they are.
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return { help: true };

  const mode = parseMode(values.count, values.rate, values.duration);
  const waitTimeout = values['wait-timeout'];
  if (waitTimeout !== undefined && values.wait !== true) {
    throw new UsageError('--wait-timeout only makes sense with --wait');
  }
  const waitTimeoutS =
    waitTimeout === undefined
      ? DEFAULT_WAIT_TIMEOUT_S
      : numberFlag('wait-timeout', waitTimeout, { integer: false, min: 0.001, max: MAX_SECONDS });
  const connectTimeout = values['connect-timeout'];
  const maxWait = values['max-wait'];
  const maxWaitS =
    maxWait === undefined
      ? DEFAULT_MAX_WAIT_S
      : numberFlag('max-wait', maxWait, { integer: false, min: 0.001, max: MAX_SECONDS });
  if (values.record === '') throw new UsageError('--record needs a file name');
  const fromEnv = env.ZK_LAB_PRODUCER_RECORD;
  const record =
    values.record ??
    (fromEnv === '' ? undefined : fromEnv) ??
    labRecord(values.connect, values.root, env);
  return {
    help: false,
    options: {
      type: values.type ?? DEFAULT_TYPE,
      payload: values.payload,
      mode,
      wait: values.wait === true ? { timeoutMs: Math.round(waitTimeoutS * 1000) } : null,
      maxWaitMs: Math.round(maxWaitS * 1000),
      record: record ?? null,
      json: values.json === true,
      connection: {
        connect: values.connect,
        root: values.root,
        sessionTimeoutMs: values['session-timeout'],
      },
      connectTimeoutMs:
        connectTimeout === undefined
          ? DEFAULT_CONNECT_TIMEOUT_MS
          : numberFlag('connect-timeout', connectTimeout, {
              integer: true,
              min: 100,
              max: 600_000,
            }),
    },
  };
}

/**
 * Jobs produced into the running lab (its ensemble found from its state folder, its root)
 * are recorded where the lab's own producer records them, so that `lab chaos`, which
 * judges every job under the root against that record, counts them instead of calling
 * them strangers. Anything else (another ensemble, another root, no lab) records nothing.
 */
function labRecord(
  connect: string | undefined,
  root: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  if (connect !== undefined || (env.ZK_CONNECT ?? '') !== '') return undefined;
  if ((root ?? env.ZK_ROOT ?? DEFAULT_ROOT) !== DEFAULT_ROOT) return undefined;
  const state = env.ZK_LAB_STATE ?? join(process.cwd(), '.lab');
  const records = join(state, 'records');
  if (!existsSync(join(state, 'zk', 'ensemble.json')) || !existsSync(records)) return undefined;
  return join(records, 'producer.jsonl');
}

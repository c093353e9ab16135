/**
 * The live config (`/config`): one zod schema, used by the config updater to validate what
 * it writes and by every master and worker to validate what they read.
 */
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export const LabConfigSchema = z.strictObject({
  /** pino level of every master and worker. */
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Jobs a worker runs at once; the leader assigns no more than this per worker. */
  workerCapacity: z.number().int().min(1).max(256).default(4),
  /** A job still running after this long is abandoned and counts as a failed attempt. */
  jobTimeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
  /** Attempts per job; a job that failed this many times goes to /dead. */
  maxAttempts: z.number().int().min(1).max(100).default(3),
  /**
   * Hand-backs per job (its worker left, was replaced or shut down, or could not read it):
   * they do not count as attempts; a job handed back more often goes to /dead.
   */
  maxHandBacks: z.number().int().min(1).max(1_000).default(20),
  /** Jobs the leader assigns in one pipelined round. */
  assignBatchSize: z.number().int().min(1).max(10_000).default(200),
  /** The producer refuses new jobs while the queue holds this many. */
  queueMaxDepth: z.number().int().min(1).max(100_000).default(10_000),
  /** Largest job payload, in bytes of JSON. */
  maxPayloadBytes: z
    .number()
    .int()
    .min(16)
    .max(512 * 1024)
    .default(64 * 1024),
});

export type LabConfig = z.infer<typeof LabConfigSchema>;
export type LabConfigKey = keyof LabConfig;

/** The config in force while `/config` does not exist. */
export const DEFAULT_CONFIG: LabConfig = LabConfigSchema.parse({});

/** One changed key: its old and new value. */
export type ConfigDiff = Partial<Record<LabConfigKey, { from: unknown; to: unknown }>>;

/** The keys whose values differ between two configs. */
export function diffConfig(from: LabConfig, to: LabConfig): ConfigDiff {
  const diff: ConfigDiff = {};
  for (const key of Object.keys(to) as LabConfigKey[]) {
    if (from[key] !== to[key]) diff[key] = { from: from[key], to: to[key] };
  }
  return diff;
}

/** Thrown for a config document that does not fit the schema. */
export class InvalidConfigError extends Error {
  constructor(readonly detail: string) {
    super(`invalid config: ${detail}`);
    this.name = 'InvalidConfigError';
  }
}

/** Parses config bytes (JSON) or a value; InvalidConfigError with every problem listed. */
export function parseConfig(input: unknown): LabConfig {
  let json: unknown = input;
  if (Buffer.isBuffer(input) || typeof input === 'string') {
    const text = Buffer.isBuffer(input) ? input.toString('utf8') : input;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InvalidConfigError(`not JSON (${(error as Error).message})`);
    }
  }
  const parsed = LabConfigSchema.safeParse(json);
  if (!parsed.success) throw new InvalidConfigError(z.prettifyError(parsed.error));
  return parsed.data;
}

/**
 * What the chaos judge looks at, in the judge's own terms. It is read from outside the
 * system: the producer's own append-only record, the workers' append-only execution log,
 * and the znodes as a fresh client sees them. The schemas are the judge's own and loose on
 * purpose: it needs a few fields, and must not share a bug with the apps' strict parsers.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * One line of the producer's record. An `intent` line is written before the job's create
 * is sent; a `created` line after the server confirmed it. A job with an intent and no
 * confirmation is indeterminate (the producer died or lost its connection in between): it
 * may have been created once, or not at all.
 */
export const ProducedLineSchema = z.object({
  jobId: z.string(),
  created: z.boolean().optional(),
  key: z.string().nullable().optional(),
  at: z.number().optional(),
});
export type ProducedLine = z.infer<typeof ProducedLineSchema>;

/** One line of the execution log: a handler run, written before the handler starts. */
export const ExecutionLineSchema = z.object({
  jobId: z.string(),
  key: z.string(),
  attempt: z.number(),
  workerId: z.string(),
  session: z.string(),
  /** The execution's fencing token: a decimal integer, increasing per job. */
  token: z.string().regex(/^\d+$/),
  at: z.number(),
});
export type ExecutionLine = z.infer<typeof ExecutionLineSchema>;

const History = z.array(z.unknown()).default([]);

/** What the judge reads of a `/results/<key>` node. */
export const SettledResultSchema = z.object({
  id: z.string(),
  attempt: z.number(),
  /** Which run wrote it: its worker and fencing token (absent in older results). */
  worker: z.string().optional(),
  token: z.string().optional(),
  failures: History,
  handBacks: History,
});

/** What the judge reads of a `/dead/<key>` node; `job` is null for unreadable data. */
export const SettledDeadSchema = z.object({
  reason: z.string(),
  job: z.object({ id: z.string(), failures: History, handBacks: History }).nullable(),
});

/** A job's final record, whichever kind. */
export interface Settlement {
  kind: 'result' | 'dead';
  key: string;
  jobId: string | null;
  failures: number;
  handBacks: number;
  reason?: string;
  /** For a result: the run that wrote it, e.g. "w1 token 4294967312". */
  writtenBy?: string;
}

/**
 * A record on which the ZooKeeper servers disagree after each was synced: what each server
 * holds at `path` ("absent" when it has no such node).
 */
export interface ReplicaDisagreement {
  path: string;
  held: Record<string, string>;
}

/** Everything the verdict needs, gathered after the system drained. */
export interface Evidence {
  produced: ProducedLine[];
  executions: ExecutionLine[];
  settlements: Settlement[];
  /** Nodes still under /queue. */
  queued: string[];
  /** `worker/key` of every node still under /assign. */
  assigned: string[];
  /** Lines of the two files that did not parse, with where they are. */
  unreadable: string[];
  /** Records the servers disagree on, each server read on its own (empty: they agree). */
  replicas: ReplicaDisagreement[];
  /** The canary's acknowledged creates and the nodes the first read found (see canary.ts). */
  canary: { path: string; acked: string[]; indeterminate: number; present: string[] } | null;
}

/**
 * Reads a JSON-lines file. A last line without its newline is a write cut short by a kill
 * (the writer appends whole lines), so it is left out; any other bad line is reported.
 */
export function readJsonLines<T>(path: string, schema: z.ZodType<T>, unreadable: string[]): T[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n');
  const complete = lines.slice(0, -1);
  const rows: T[] = [];
  complete.forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      unreadable.push(`${path}:${i + 1}: not JSON`);
      return;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) rows.push(parsed.data);
    else unreadable.push(`${path}:${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  });
  return rows;
}

/** A settlement from a result node's data, or a string saying why it is not one. */
export function parseResult(key: string, data: Buffer): Settlement | string {
  const parsed = SettledResultSchema.safeParse(safeJson(data));
  if (!parsed.success) return `result ${key} does not parse`;
  return {
    kind: 'result',
    key,
    jobId: parsed.data.id,
    failures: parsed.data.failures.length,
    handBacks: parsed.data.handBacks.length,
    ...(parsed.data.worker === undefined
      ? {}
      : { writtenBy: `${parsed.data.worker} token ${parsed.data.token ?? '?'}` }),
  };
}

/** A settlement from a dead record's data, or a string saying why it is not one. */
export function parseDead(key: string, data: Buffer): Settlement | string {
  const parsed = SettledDeadSchema.safeParse(safeJson(data));
  if (!parsed.success) return `dead record ${key} does not parse`;
  const job = parsed.data.job;
  return {
    kind: 'dead',
    key,
    jobId: job?.id ?? null,
    failures: job?.failures.length ?? 0,
    handBacks: job?.handBacks.length ?? 0,
    reason: parsed.data.reason,
  };
}

function safeJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

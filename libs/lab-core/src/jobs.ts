/**
 * The messages of the task lifecycle (DESIGN section 4), as zod schemas: what a producer
 * puts in the queue, what the leader writes on a task node, what a worker records as the
 * result and what the leader records for a dead job. Every app parses what it reads with
 * these; data that does not parse is never guessed at.
 *
 * Wire messages are not strict: a field added by a newer version is ignored, not refused,
 * so a rolling upgrade does not strand tasks between versions. Queued jobs and tasks keep
 * such fields (loose objects), so a job passes through an older leader intact. An
 * incompatible change raises `protocol`; a reader hands back (or buries) a message whose
 * protocol is newer than the one it speaks. What users write (job payloads, the config)
 * stays strict.
 */
import { z } from 'zod';

const ms = z
  .number()
  .int()
  .min(0)
  .max(24 * 3_600_000);

/** The payload of each job type. */
export const JOB_PAYLOADS = {
  /** Returns its payload as the output. */
  echo: z.json(),
  /** Waits `ms` milliseconds. */
  sleep: z.strictObject({ ms }),
  /** Keeps the CPU busy for `ms` milliseconds (in slices, so the session stays alive). */
  cpu: z.strictObject({ ms }),
  /** Always throws (with `message`). */
  fail: z.strictObject({ message: z.string().max(1_000).optional() }),
  /** Throws with probability `failureRate` after `ms` milliseconds, else succeeds. */
  flaky: z.strictObject({ failureRate: z.number().min(0).max(1), ms: ms.optional() }),
} as const;

export type JobType = keyof typeof JOB_PAYLOADS;
export const JOB_TYPES = Object.keys(JOB_PAYLOADS) as JobType[];

export const JobTypeSchema = z.enum(JOB_TYPES as [JobType, ...JobType[]], {
  error: (issue) =>
    `unknown job type ${JSON.stringify(issue.input)}; known types: ${JOB_TYPES.join(', ')}`,
});

/** A job as a producer asks for it: a known type and a payload valid for that type. */
export const JobSpecSchema = z
  .strictObject({ type: JobTypeSchema, payload: z.json() })
  .superRefine((spec, ctx) => {
    const parsed = JOB_PAYLOADS[spec.type].safeParse(spec.payload);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ ...issue, path: ['payload', ...issue.path] });
      }
    }
  });
export type JobSpec = z.infer<typeof JobSpecSchema>;

/** The wire protocol these schemas describe; messages without the field are protocol 1. */
export const PROTOCOL_VERSION = 2;
const protocol = z.number().int().min(1).optional();

/** Whether this version can read a message of `protocol` (absent: 1). */
export function speaksProtocol(message: { protocol?: number | undefined }): boolean {
  return (message.protocol ?? 1) <= PROTOCOL_VERSION;
}

/** One failed attempt, kept on the job so a dead record says why. */
export const AttemptFailureSchema = z.object({
  attempt: z.number().int().min(1),
  worker: z.string().nullable(),
  reason: z.string(),
  at: z.number(),
});
export type AttemptFailure = z.infer<typeof AttemptFailureSchema>;

/**
 * One hand-back: the task went back to the queue because its worker left, was replaced
 * or shut down, or could not read it, not because the job failed. Hand-backs do not count
 * against `maxAttempts`; `maxHandBacks` bounds them.
 */
export const HandBackSchema = z.object({
  worker: z.string().nullable(),
  reason: z.string(),
  at: z.number(),
});
export type HandBack = z.infer<typeof HandBackSchema>;

/** A queue node's data: `/queue/job-<seq>`. */
export const QueuedJobSchema = z.looseObject({
  protocol,
  id: z.uuid(),
  type: JobTypeSchema,
  payload: z.json(),
  /** When the producer made it (ms since the epoch). */
  created: z.number(),
  /** The attempt the next assignment will be: 1 for a new job. */
  attempt: z.number().int().min(1),
  /** Earlier attempts that failed, oldest first. */
  failures: z.array(AttemptFailureSchema).default([]),
  /** Times the job was handed back without failing, oldest first. */
  handBacks: z.array(HandBackSchema).default([]),
});
export type QueuedJob = z.infer<typeof QueuedJobSchema>;

/** A task node's data: `/assign/<worker>/job-<seq>`, written by the leader. */
export const TaskSchema = QueuedJobSchema.extend({
  /** The leader's epoch when it assigned the task. */
  epoch: z.number().int().min(1),
  worker: z.string(),
  /**
   * The session (hex, as `sessionIdHex` shows it) of the worker's registration the task was
   * assigned to: only that incarnation of the worker runs it, so one task node is never run
   * by two processes, and its czxid is a per-execution fencing token.
   */
  workerSession: z.string(),
  assigned: z.number(),
});
export type Task = z.infer<typeof TaskSchema>;

/** A result node's data: `/results/job-<seq>`, exactly one per finished job. */
export const JobResultSchema = z.object({
  protocol,
  id: z.uuid(),
  key: z.string(),
  type: JobTypeSchema,
  outcome: z.literal('succeeded'),
  output: z.json(),
  worker: z.string(),
  attempt: z.number().int().min(1),
  epoch: z.number().int().min(1),
  created: z.number(),
  assigned: z.number(),
  started: z.number(),
  finished: z.number(),
  failures: z.array(AttemptFailureSchema),
  handBacks: z.array(HandBackSchema).default([]),
  /** The fencing token of the execution that made this result (the task node's czxid). */
  token: z.string().optional(),
});
export type JobResult = z.infer<typeof JobResultSchema>;

/** A dead record's data: `/dead/job-<seq>`. `job` is null when the data did not parse. */
export const DeadJobSchema = z.object({
  protocol,
  key: z.string(),
  reason: z.string(),
  job: QueuedJobSchema.nullable(),
  /** The data as found, when it did not parse (truncated). */
  raw: z.string().nullable(),
  epoch: z.number().int().min(1),
  at: z.number(),
});
export type DeadJob = z.infer<typeof DeadJobSchema>;

/** A worker's registration: `/workers/<id>` (ephemeral). */
export const WorkerInfoSchema = z.object({
  protocol,
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  capacity: z.number().int().min(1),
  started: z.number(),
  version: z.string(),
  /** Shutting down: finishing what it runs; the leader assigns it nothing more. */
  draining: z.boolean().optional(),
  /**
   * The digest id (`user:base64-sha1`) of the worker's own identity: the leader grants it
   * DELETE on `/assign/<id>`. Absent from older workers.
   */
  identity: z.string().optional(),
});
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

/** Thrown by `decode` when a znode's data is not what its schema says. */
export class InvalidDataError extends Error {
  constructor(
    readonly what: string,
    readonly detail: string,
  ) {
    super(`invalid ${what}: ${detail}`);
    this.name = 'InvalidDataError';
  }
}

/** Parses a znode's JSON data with `schema`; InvalidDataError when it does not fit. */
export function decode<T>(schema: z.ZodType<T>, data: Buffer, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new InvalidDataError(what, `not JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InvalidDataError(what, z.prettifyError(parsed.error));
  return parsed.data;
}

/** The JSON bytes of a message. */
export function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/**
 * The job a run produces: its type and payload checked once against the shared schemas,
 * then one queue-node document per job (a fresh uuid and creation time each).
 */
import {
  JOB_PAYLOADS,
  JOB_TYPES,
  type JobSpec,
  JobSpecSchema,
  JobTypeSchema,
  type QueuedJob,
} from '@zk-lab/lab-core';
import { v4 as uuidv4 } from 'uuid';
import type { z } from 'zod';

/** Thrown for a job that cannot be produced (bad JSON, unknown type, bad payload): exit 2. */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.map(String).join('.');
      return where === '' ? issue.message : `${where}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * The job spec from the flags. An omitted payload is `{}` when the type accepts it (echo,
 * fail); the other types need one, since no default would be a meaningful job.
 */
export function parseJobSpec(type: string, payloadText: string | undefined): JobSpec {
  const knownType = JobTypeSchema.safeParse(type);
  if (!knownType.success) {
    throw new InvalidJobError(
      `unknown job type ${JSON.stringify(type)}; known types: ${JOB_TYPES.join(', ')}`,
    );
  }
  let payload: unknown;
  if (payloadText === undefined) {
    if (!JOB_PAYLOADS[knownType.data].safeParse({}).success) {
      throw new InvalidJobError(
        `--payload is required for type ${knownType.data} (see --help for an example)`,
      );
    }
    payload = {};
  } else {
    try {
      payload = JSON.parse(payloadText);
    } catch (error) {
      throw new InvalidJobError(`--payload is not valid JSON: ${(error as Error).message}`);
    }
  }
  const spec = JobSpecSchema.safeParse({ type: knownType.data, payload });
  if (!spec.success) {
    throw new InvalidJobError(
      `invalid payload for type ${knownType.data}: ${describeIssues(spec.error)}`,
    );
  }
  return spec.data;
}

export class JobFactory {
  /** The payload's size as stored: bytes of its compact JSON, what maxPayloadBytes limits. */
  readonly payloadBytes: number;

  constructor(
    readonly spec: JobSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.payloadBytes = Buffer.byteLength(JSON.stringify(spec.payload), 'utf8');
  }

  /** A new job for the queue: attempt 1, no failures yet. */
  next(): QueuedJob {
    return {
      id: uuidv4(),
      type: this.spec.type,
      payload: this.spec.payload,
      created: this.now(),
      attempt: 1,
      failures: [],
      handBacks: [],
    };
  }
}

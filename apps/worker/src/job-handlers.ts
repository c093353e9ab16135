/**
 * What each job type does (the payloads are JOB_PAYLOADS of lab-core). A handler gets the
 * payload and an AbortSignal; it resolves with the job's output (JSON) or throws, and it
 * stops early when the signal aborts (a timeout or a lost session abandoned the job).
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { JOB_PAYLOADS, type JobType } from '@zk-lab/lab-core';
import { z } from 'zod';

export type JobOutput = z.infer<ReturnType<typeof z.json>>;
export type JobHandler = (payload: unknown, signal: AbortSignal) => Promise<JobOutput>;

/** The payload does not fit the job type: the attempt fails with the schema's message. */
export class InvalidPayloadError extends Error {
  constructor(
    readonly type: JobType,
    detail: string,
  ) {
    super(`invalid ${type} payload: ${detail}`);
    this.name = 'InvalidPayloadError';
  }
}

/** What a `fail` job throws, and a `flaky` job when its luck runs out. */
export class JobFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailedError';
  }
}

/** A busy loop yields this often, so pings and watch events keep flowing. */
const CPU_SLICE_MS = 10;

function payloadOf<T extends JobType>(
  type: T,
  payload: unknown,
): z.infer<(typeof JOB_PAYLOADS)[T]> {
  const parsed = JOB_PAYLOADS[type].safeParse(payload);
  if (!parsed.success) throw new InvalidPayloadError(type, z.prettifyError(parsed.error));
  return parsed.data as z.infer<(typeof JOB_PAYLOADS)[T]>;
}

async function busy(ms: number, signal: AbortSignal): Promise<number> {
  const end = Date.now() + ms;
  let slices = 0;
  while (Date.now() < end) {
    signal.throwIfAborted();
    const sliceEnd = Math.min(end, Date.now() + CPU_SLICE_MS);
    while (Date.now() < sliceEnd) {
      // Spin: the point of the job is to keep a core busy.
    }
    slices++;
    await nextTurn();
  }
  return slices;
}

export interface JobHandlerOptions {
  /** The `flaky` job's dice, in [0, 1). */
  random?: () => number;
}

export function createJobHandlers(options: JobHandlerOptions = {}): Record<JobType, JobHandler> {
  const random = options.random ?? Math.random;
  return {
    echo: (payload) => Promise.resolve(payloadOf('echo', payload)),
    sleep: async (payload, signal) => {
      const { ms } = payloadOf('sleep', payload);
      await sleep(ms, undefined, { signal });
      return { slept: ms };
    },
    cpu: async (payload, signal) => {
      const { ms } = payloadOf('cpu', payload);
      const slices = await busy(ms, signal);
      return { busyMs: ms, slices };
    },
    fail: (payload) => {
      const { message } = payloadOf('fail', payload);
      return Promise.reject(new JobFailedError(message ?? 'fail job always fails'));
    },
    flaky: async (payload, signal) => {
      const { failureRate, ms } = payloadOf('flaky', payload);
      if (ms !== undefined) await sleep(ms, undefined, { signal });
      if (random() < failureRate) {
        throw new JobFailedError(`flaky job failed (failure rate ${failureRate})`);
      }
      return { ok: true };
    },
  };
}

/**
 * JobRunner: runs one job's handler under a timeout. On timeout, or when the caller aborts
 * (a lost session, shutdown), the job is abandoned at once: the handler's signal aborts and
 * the runner answers without waiting for it, so a hung handler never holds a slot.
 */
import type { JobType } from '@zk-lab/lab-core';
import { createJobHandlers, type JobHandler, type JobOutput } from './job-handlers';

export type RunOutcome =
  | { kind: 'succeeded'; output: JobOutput }
  /** The handler threw. */
  | { kind: 'failed'; reason: string }
  /** Past the job timeout: a failed attempt too. */
  | { kind: 'timed_out'; reason: string }
  /** The caller gave the job up; its outcome must not be recorded. */
  | { kind: 'abandoned'; reason: string };

/** The abort reason of a job past its timeout. */
export class JobTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}

/** Reasons are kept on the job (and in its dead record): keep them short. */
const MAX_REASON_CHARS = 1_000;

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

export class JobRunner {
  constructor(private readonly handlers: Record<JobType, JobHandler> = createJobHandlers()) {}

  async run(
    type: JobType,
    payload: unknown,
    timeoutMs: number,
    abandon: AbortSignal,
  ): Promise<RunOutcome> {
    const controller = new AbortController();
    const stop = (): void => controller.abort(abandon.reason);
    abandon.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(timeoutMs)), timeoutMs);
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<RunOutcome>((resolve) => {
      onAbort = () =>
        resolve(
          controller.signal.reason instanceof JobTimeoutError
            ? { kind: 'timed_out', reason: controller.signal.reason.message }
            : { kind: 'abandoned', reason: reasonOf(controller.signal.reason) },
        );
      controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    if (abandon.aborted) stop();
    const handled = (async (): Promise<RunOutcome> => {
      try {
        return { kind: 'succeeded', output: await this.handlers[type](payload, controller.signal) };
      } catch (error) {
        return { kind: 'failed', reason: reasonOf(error) };
      }
    })();
    try {
      // Whichever comes first; an abort wins over the handler's own (later) rejection.
      return await Promise.race([aborted, handled]);
    } finally {
      clearTimeout(timer);
      abandon.removeEventListener('abort', stop);
      controller.signal.removeEventListener('abort', onAbort);
    }
  }
}

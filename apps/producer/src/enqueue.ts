/**
 * Pipelined job creation: up to `maxInFlight` creates outstanding at once (the client
 * pipelines them on one connection), never one awaited round trip per job.
 *
 * Each job is one protected persistent-sequential create, so a connection lost mid-create
 * never leaves two nodes for one job, and every node is a whole job. Stopping (Ctrl+C, or
 * a failed create) issues nothing more and waits for the creates in flight, so the count
 * of enqueued jobs is exact.
 */
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ACL, CreateMode, type ZkClient } from '@zk-lab/zk-client';
import { encode, JOB_PREFIX, jobKey, queuePath } from '@zk-lab/lab-core';
import type { JobFactory } from './job-factory';

/** Creates outstanding at once: enough to fill the pipe, few enough to bound memory. */
export const DEFAULT_MAX_IN_FLIGHT = 256;
/** A stream wakes at most this often, and creates every job that fell due meanwhile. */
const MIN_STREAM_TICK_MS = 2;

export interface EnqueuedJob {
  /** `job-<seq>`: the job's name in /queue, /assign, /results and /dead. */
  key: string;
  /** The job's `created` time (ms since the epoch), the start of its latency. */
  created: number;
  /** The job's id: a record under its key that holds another id is not its end. */
  id: string;
}

export interface EnqueueOutcome {
  /** In the order the creates completed. */
  jobs: EnqueuedJob[];
  /** From the first create sent to the last one answered. */
  elapsedMs: number;
  /** Stopped by the signal before every job was created. */
  interrupted: boolean;
  /** The first create that failed; nothing more was issued after it. */
  error: Error | null;
}

export interface EnqueueControl {
  signal: AbortSignal;
  /** Called after each created job with the count so far. */
  onEnqueued?: (count: number) => void;
}

/** Which jobs are due `elapsedMs` after the start, and when the next one falls due. */
interface Pace {
  dueBy(elapsedMs: number): number;
  nextDueAtMs(issued: number): number;
}

export class JobEnqueuer {
  constructor(
    private readonly client: ZkClient,
    private readonly factory: JobFactory,
    private readonly acl: readonly ACL[],
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {}

  /** `count` jobs as fast as the pipeline allows. */
  batch(count: number, control: EnqueueControl): Promise<EnqueueOutcome> {
    return this.run(count, { dueBy: () => count, nextDueAtMs: () => 0 }, control);
  }

  /** `count` jobs, one every 1/`rate` seconds from the start. */
  stream(rate: number, count: number, control: EnqueueControl): Promise<EnqueueOutcome> {
    const intervalMs = 1000 / rate;
    return this.run(
      count,
      {
        dueBy: (elapsedMs) => Math.floor(elapsedMs / intervalMs) + 1,
        nextDueAtMs: (issued) => issued * intervalMs,
      },
      control,
    );
  }

  private async run(total: number, pace: Pace, control: EnqueueControl): Promise<EnqueueOutcome> {
    const { signal } = control;
    const jobs: EnqueuedJob[] = [];
    const started = performance.now();
    let finished = started;
    let inFlight = 0;
    let issued = 0;
    let error: Error | null = null;

    // The loop below sleeps on `wake`: a finished create, the next due time or the signal.
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const resume = wake;
      wake = null;
      resume?.();
    };
    signal.addEventListener('abort', notify);
    const pause = (delayMs: number | null): Promise<void> =>
      new Promise<void>((resolve) => {
        const timer = delayMs === null ? undefined : setTimeout(notify, delayMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    const launch = (): void => {
      const job = this.factory.next();
      inFlight += 1;
      issued += 1;
      void this.client
        .create(queuePath(JOB_PREFIX), encode(job), {
          mode: CreateMode.PERSISTENT_SEQUENTIAL,
          protected: true,
          acl: this.acl,
        })
        .then(
          (path) => {
            jobs.push({ key: jobKey(basename(path)), created: job.created, id: job.id });
            control.onEnqueued?.(jobs.length);
          },
          (failure: unknown) => {
            error ??= failure instanceof Error ? failure : new Error(String(failure));
          },
        )
        .finally(() => {
          inFlight -= 1;
          finished = performance.now();
          notify();
        });
    };

    try {
      while (issued < total && error === null && !signal.aborted) {
        const due = Math.min(total, pace.dueBy(performance.now() - started));
        while (issued < due && inFlight < this.maxInFlight) launch();
        if (issued >= total) break;
        // Either the pipeline is full (a completion wakes us) or the next job is not due yet.
        const delayMs =
          issued < due
            ? null
            : Math.max(
                MIN_STREAM_TICK_MS,
                pace.nextDueAtMs(issued) - (performance.now() - started),
              );
        await pause(delayMs);
      }
      while (inFlight > 0) await pause(null);
    } finally {
      signal.removeEventListener('abort', notify);
    }
    return {
      jobs,
      elapsedMs: finished - started,
      interrupted: signal.aborted && jobs.length < total,
      error,
    };
  }
}

/**
 * Pipelined job creation: up to `maxInFlight` creates outstanding at once (the client
 * pipelines them on one connection), never one awaited round trip per job.
 *
 * Each job is one transaction (queue node + idempotency marker, idempotent-create.ts), so
 * a connection lost mid-create never leaves two nodes for one job, and every node is a
 * whole job. Each job's line goes to the record file (if any) before its create is sent.
 * While the queue is at its depth limit the loop holds back (queue-gate.ts), and gives up
 * after `maxWaitMs` held. Stopping (Ctrl+C, or a failed create) issues nothing more and
 * waits for the creates in flight, so the count of enqueued jobs is exact.
 */
import { performance } from 'node:perf_hooks';
import {
  type ACL,
  ConnectionLossError,
  SessionExpiredError,
  type ZkClient,
} from '@zk-lab/zk-client';
import { IdempotentCreator } from './idempotent-create';
import type { JobFactory } from './job-factory';
import type { JobRecord } from './job-record';
import type { QueueGate } from './queue-gate';

/** Creates outstanding at once: enough to fill the pipe, few enough to bound memory. */
export const DEFAULT_MAX_IN_FLIGHT = 256;
/** A stream wakes at most this often, and creates every job that fell due meanwhile. */
const MIN_STREAM_TICK_MS = 2;
/** While held back, the queue's depth is read again this often. */
const HOLD_RECHECK_MS = 250;

export interface EnqueuedJob {
  /** The job's uuid (the record file's jobId). */
  id: string;
  /**
   * `job-<seq>`: the job's name in /queue, /assign, /results and /dead. Null when the reply
   * to its create was lost: the job is in (its marker says so), its key is not known.
   */
  key: string | null;
  /** The job's `created` time (ms since the epoch), the start of its latency. */
  created: number;
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
  /** Set when the run gave up after waiting `maxWaitMs` for room in the queue. */
  heldBack: { depth: number; limit: number; waitedMs: number } | null;
}

export interface EnqueueControl {
  signal: AbortSignal;
  /** Called after each created job with the count so far. */
  onEnqueued?: (count: number) => void;
  /** Called when the run starts or stops being held back by a full queue. */
  onHeld?: (held: { depth: number; limit: number } | null) => void;
}

export interface EnqueueSetup {
  client: ZkClient;
  factory: JobFactory;
  /** ACL of the queue nodes and markers. */
  acl: readonly ACL[];
  gate: QueueGate;
  record: JobRecord | null;
  /** How long the run may be held back (or wait out an outage) before it gives up. */
  maxWaitMs: number;
  maxInFlight?: number;
}

/** Which jobs are due `elapsedMs` after the start, and when the next one falls due. */
interface Pace {
  dueBy(elapsedMs: number): number;
  nextDueAtMs(issued: number): number;
}

function isConnectionTrouble(error: unknown): boolean {
  return error instanceof ConnectionLossError || error instanceof SessionExpiredError;
}

export class JobEnqueuer {
  private readonly creator: IdempotentCreator;
  private readonly maxInFlight: number;

  constructor(private readonly setup: EnqueueSetup) {
    this.creator = new IdempotentCreator(setup.client, setup.acl, setup.maxWaitMs);
    this.maxInFlight = setup.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  }

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
    const { factory, gate, record, maxWaitMs } = this.setup;
    const jobs: EnqueuedJob[] = [];
    const started = performance.now();
    let finished = started;
    let inFlight = 0;
    let issued = 0;
    let error: Error | null = null;
    let heldSince: number | null = null;
    let heldBack: EnqueueOutcome['heldBack'] = null;

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
    /** A depth read that fails for connection trouble keeps the estimate: creates will say. */
    const refresh = async (): Promise<void> => {
      try {
        await gate.refresh();
      } catch (failure) {
        if (!isConnectionTrouble(failure)) throw failure;
      }
    };

    const launch = (count: number): void => {
      const batch = Array.from({ length: count }, () => factory.next());
      // Every job is in the record before its create is sent.
      record?.append(batch);
      gate.sent(count);
      for (const job of batch) {
        inFlight += 1;
        issued += 1;
        void this.creator
          .create(job)
          .then(
            (created) => {
              record?.created(job.id, created.key);
              jobs.push({ id: job.id, key: created.key, created: job.created });
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
      }
    };

    try {
      await refresh();
      while (issued < total && error === null && !signal.aborted) {
        if (gate.stale) await refresh();
        const due = Math.min(total, pace.dueBy(performance.now() - started));
        const count = Math.min(due - issued, this.maxInFlight - inFlight, gate.room);
        if (count > 0) {
          if (heldSince !== null) control.onHeld?.(null);
          heldSince = null;
          launch(count);
        }
        if (issued >= total) break;
        if (issued < due && inFlight < this.maxInFlight && gate.room === 0) {
          // Held back: the queue is at its limit. Wait for room, at most maxWaitMs.
          const now = performance.now();
          if (heldSince === null) {
            heldSince = now;
            control.onHeld?.({ depth: gate.depth, limit: gate.limit });
          } else if (now - heldSince >= maxWaitMs) {
            heldBack = { depth: gate.depth, limit: gate.limit, waitedMs: now - heldSince };
            break;
          }
          await pause(HOLD_RECHECK_MS);
          await refresh();
          continue;
        }
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
      await this.creator.drain();
    } finally {
      signal.removeEventListener('abort', notify);
    }
    return {
      jobs,
      elapsedMs: finished - started,
      interrupted: signal.aborted && jobs.length < total,
      error,
      heldBack,
    };
  }
}

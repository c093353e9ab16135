/**
 * Waits until each job has its end record: `/results/<key>` (done) or `/dead/<key>`, of
 * this very job (by id: a key can be reused when `/queue` is re-created, and an old record
 * under it is not this job's end).
 *
 * Each key is checked with `exists` and a one-shot watch on both paths, re-armed at every
 * check, so a record created between two reads is never missed: the read that finds
 * nothing leaves a watch that fires on the creation. /results and /dead are never listed
 * (they grow without bound). Checks are pipelined, a bounded number in flight.
 *
 * Connection trouble: the client re-registers watches after a reconnect; after a session
 * loss every watch fires with an Expired event, which re-checks its key on the new session.
 * A check that fails is tried again after a pause until the wait times out.
 */
import { performance } from 'node:perf_hooks';
import {
  DeadJobSchema,
  decode,
  deadPath,
  InvalidDataError,
  JobResultSchema,
  resultPath,
} from '@zk-lab/lab-core';
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';

const MAX_CHECKS_IN_FLIGHT = 256;
const RETRY_DELAY_MS = 250;

export interface WaitOutcome {
  /** Jobs with a result (including `unreadable` ones). */
  done: number;
  /** Results whose data did not parse: done, but without a latency. */
  unreadable: number;
  dead: number;
  /** Jobs with neither record when the wait ended. */
  missing: number;
  /** created → finished, one per readable result. */
  latenciesMs: number[];
  timedOut: boolean;
  interrupted: boolean;
  elapsedMs: number;
  /** The last check that failed (they are retried), for the timeout message. */
  lastError: Error | null;
}

export interface WaitControl {
  timeoutMs: number;
  signal: AbortSignal;
  /** Called after each job that ends, with the counts so far. */
  onProgress?: (counts: { done: number; dead: number }) => void;
}

export class ResultWaiter {
  /** key → the job's created time, for the jobs not ended yet. */
  private readonly pending: Map<string, number>;
  /** key → the job's id. */
  private readonly ids: Map<string, string>;
  /** Paths with one of our one-shot watches still outstanding. */
  private readonly armed = new Set<string>();
  /** Keys to check, each once however many watches asked for it. */
  private readonly due = new Set<string>();
  private inFlight = 0;
  private stopped = false;
  private finish: () => void = () => undefined;
  private onProgress: WaitControl['onProgress'];
  private readonly outcome: WaitOutcome = {
    done: 0,
    unreadable: 0,
    dead: 0,
    missing: 0,
    latenciesMs: [],
    timedOut: false,
    interrupted: false,
    elapsedMs: 0,
    lastError: null,
  };

  constructor(
    private readonly client: ZkClient,
    jobs: readonly { key: string; created: number; id: string }[],
  ) {
    this.pending = new Map(jobs.map((job) => [job.key, job.created]));
    this.ids = new Map(jobs.map((job) => [job.key, job.id]));
  }

  async wait(control: WaitControl): Promise<WaitOutcome> {
    const started = performance.now();
    const ended = new Promise<void>((resolve) => (this.finish = resolve));
    const timer = setTimeout(() => {
      this.outcome.timedOut = true;
      this.finish();
    }, control.timeoutMs);
    const onAbort = (): void => {
      this.outcome.interrupted = true;
      this.finish();
    };
    control.signal.addEventListener('abort', onAbort);
    if (control.signal.aborted) onAbort();
    this.onProgress = control.onProgress;

    for (const key of this.pending.keys()) this.schedule(key);
    if (this.pending.size === 0) this.finish();
    try {
      await ended;
    } finally {
      this.stopped = true;
      clearTimeout(timer);
      control.signal.removeEventListener('abort', onAbort);
    }
    this.outcome.missing = this.pending.size;
    this.outcome.elapsedMs = performance.now() - started;
    return this.outcome;
  }

  private schedule(key: string): void {
    if (this.stopped || !this.pending.has(key)) return;
    this.due.add(key);
    this.pump();
  }

  private pump(): void {
    for (const key of this.due) {
      if (this.inFlight >= MAX_CHECKS_IN_FLIGHT) return;
      this.due.delete(key);
      this.inFlight += 1;
      void this.check(key)
        .catch((error: unknown) => {
          if (this.stopped) return;
          this.outcome.lastError = error instanceof Error ? error : new Error(String(error));
          setTimeout(() => this.schedule(key), RETRY_DELAY_MS).unref();
        })
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }

  private async check(key: string): Promise<void> {
    if ((await this.existsWatched(resultPath(key), key)) && (await this.readResult(key))) return;
    if ((await this.existsWatched(deadPath(key), key)) && (await this.isOwnDead(key))) {
      this.settle(key, 'dead');
    }
  }

  /** Whether `/dead/<key>` is this job's (or cannot tell: no id known, or no job in it). */
  private async isOwnDead(key: string): Promise<boolean> {
    const id = this.ids.get(key);
    if (id === undefined) return true;
    try {
      const dead = decode(DeadJobSchema, (await this.client.getData(deadPath(key))).data, key);
      return dead.job === null || dead.job.id === id;
    } catch (error) {
      if (error instanceof InvalidDataError) return true;
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }

  /** exists, leaving a watch that re-checks `key` unless one is outstanding on `path`. */
  private async existsWatched(path: string, key: string): Promise<boolean> {
    if (this.armed.has(path)) return (await this.client.exists(path)) !== null;
    this.armed.add(path);
    try {
      const stat = await this.client.exists(path, {
        watch: () => {
          this.armed.delete(path);
          this.schedule(key);
        },
      });
      return stat !== null;
    } catch (error) {
      // A failed read registered no watch.
      this.armed.delete(path);
      throw error;
    }
  }

  /** Settles `key` as done if its result is this job's; false when it is another job's. */
  private async readResult(key: string): Promise<boolean> {
    let data: Buffer;
    try {
      ({ data } = await this.client.getData(resultPath(key)));
    } catch (error) {
      // Removed since exists said it was there (a clean-up): check again from the start.
      if (!(error instanceof NoNodeError)) throw error;
      this.schedule(key);
      return true;
    }
    const created = this.pending.get(key);
    let latencyMs: number | null = null;
    try {
      const result = decode(JobResultSchema, data, `result ${key}`);
      const id = this.ids.get(key);
      if (id !== undefined && result.id !== id) return false;
      if (created !== undefined) latencyMs = result.finished - created;
    } catch (error) {
      if (!(error instanceof InvalidDataError)) throw error;
    }
    this.settle(key, 'done', latencyMs);
    return true;
  }

  /** Records how `key` ended, once: a watch and a retry may both have checked it. */
  private settle(key: string, how: 'done' | 'dead', latencyMs: number | null = null): void {
    if (!this.pending.delete(key)) return;
    this.outcome[how] += 1;
    if (how === 'done') {
      if (latencyMs === null) this.outcome.unreadable += 1;
      else this.outcome.latenciesMs.push(latencyMs);
    }
    this.onProgress?.({ done: this.outcome.done, dead: this.outcome.dead });
    if (this.pending.size === 0) this.finish();
  }
}

/** What a run did, as one object (the --json output) and as the text lines printed otherwise. */
import { compareJobNames, type JobType } from '@zk-lab/lab-core';
import type { ProduceMode } from './args';
import type { EnqueueOutcome } from './enqueue';
import { type LatencySummary, summarizeLatencies } from './latency';
import type { WaitOutcome } from './wait-for-results';

export interface WaitSummary {
  done: number;
  dead: number;
  /** Done, but the result's data did not parse: not in the latency. */
  unreadable: number;
  missing: number;
  timedOut: boolean;
  waitedMs: number;
  /** created → finished, of the done jobs with readable results; null when there are none. */
  latencyMs: LatencySummary | null;
}

export interface RunSummary {
  type: JobType;
  mode: ProduceMode['kind'];
  asked: number;
  enqueued: number;
  /** In queue order. */
  keys: string[];
  /** Ids of enqueued jobs whose keys are unknown (the replies to their creates were lost). */
  unkeyedIds: string[];
  elapsedMs: number;
  jobsPerSecond: number;
  interrupted: boolean;
  wait: WaitSummary | null;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

export function summarizeRun(
  type: JobType,
  mode: ProduceMode,
  asked: number,
  enqueue: EnqueueOutcome,
  wait: WaitOutcome | null,
): RunSummary {
  const enqueued = enqueue.jobs.length;
  return {
    type,
    mode: mode.kind,
    asked,
    enqueued,
    keys: enqueue.jobs.flatMap((job) => (job.key === null ? [] : [job.key])).sort(compareJobNames),
    unkeyedIds: enqueue.jobs.flatMap((job) => (job.key === null ? [job.id] : [])),
    elapsedMs: round1(enqueue.elapsedMs),
    // At least a millisecond, so one quick job does not divide by zero.
    jobsPerSecond: round1(enqueued / (Math.max(enqueue.elapsedMs, 1) / 1000)),
    interrupted: enqueue.interrupted || (wait?.interrupted ?? false),
    wait:
      wait === null
        ? null
        : {
            done: wait.done,
            dead: wait.dead,
            unreadable: wait.unreadable,
            missing: wait.missing,
            timedOut: wait.timedOut,
            waitedMs: round1(wait.elapsedMs),
            latencyMs: summarizeLatencies(wait.latenciesMs),
          },
  };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The text output: a single job's key alone (for scripts), else a sentence per phase. */
export function formatRun(summary: RunSummary): string[] {
  const lines: string[] = [];
  const first = summary.keys[0];
  const last = summary.keys[summary.keys.length - 1];
  if (summary.mode === 'single' && first !== undefined) {
    lines.push(first);
  } else if (summary.mode !== 'single') {
    const of = summary.enqueued === summary.asked ? '' : ` of ${summary.asked}`;
    const range =
      first === undefined ? '' : first === last ? ` (${first})` : ` (${first} … ${last})`;
    lines.push(
      `enqueued ${summary.enqueued}${of} ${summary.type} jobs in ${seconds(summary.elapsedMs)}: ` +
        `${summary.jobsPerSecond} jobs/s${range}`,
    );
  }
  const wait = summary.wait;
  if (wait !== null) {
    const unreadable = wait.unreadable === 0 ? '' : ` (${wait.unreadable} with unreadable data)`;
    lines.push(
      `results: ${wait.done} done${unreadable}, ${wait.dead} dead, ${wait.missing} missing ` +
        `(waited ${seconds(wait.waitedMs)})`,
    );
    const l = wait.latencyMs;
    if (l !== null) {
      const jobs = l.count === 1 ? '1 job' : `${l.count} jobs`;
      lines.push(
        `latency created -> finished (${jobs}): p50 ${l.p50} ms, p95 ${l.p95} ms, ` +
          `p99 ${l.p99} ms, max ${l.max} ms`,
      );
    }
  }
  return lines;
}

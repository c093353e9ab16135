/**
 * One throughput run of `bench system`: the producer CLI enqueues N jobs of one type and
 * waits for them (`--count N --wait --json`); then every `/results/<key>` of the run is
 * read back, and the end-to-end rate, the latencies and the share of each worker are
 * computed from the timestamps the system itself wrote (producer: created; leader:
 * assigned; worker: started, finished). All of them come from this machine's clock.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decode,
  InvalidDataError,
  PATHS,
  type JobResult,
  JobResultSchema,
  resultPath,
} from '@zk-lab/lab-core';
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';
import { type CpuUse, cpuUse, sampleCpu } from './cpu-use';
import { type ServerSample, serverWork, type ServerWork } from './server-work';
import { type AppFleet, describeExit } from './system-apps';
import type { LeaderTotals } from './system-takeover';
import { type Distribution, distribution } from './percentiles';

export interface JobCase {
  type: 'echo' | 'sleep';
  /** As passed to --payload. */
  payload: string;
}

export const JOB_MATRIX: readonly JobCase[] = [
  { type: 'echo', payload: '{}' },
  { type: 'sleep', payload: '{"ms":50}' },
];

const READS_IN_FLIGHT = 512;

/** What is looked at around a run, besides the results. */
export interface RunProbe {
  /** The long-running processes whose CPU time is measured, labelled. */
  processes(): { label: string; pid: number }[];
  /** The servers' counters (server-work.ts), read before and after the run when given. */
  sampleServers?: () => Promise<ServerSample>;
  leaderTotals(): Promise<LeaderTotals | null>;
}

/** What the producer prints with --json (apps/producer/src/report.ts), as far as used here. */
const ProducerSummarySchema = z.object({
  enqueued: z.number(),
  keys: z.array(z.string()),
  elapsedMs: z.number(),
  jobsPerSecond: z.number(),
  wait: z
    .object({
      done: z.number(),
      dead: z.number(),
      unreadable: z.number(),
      missing: z.number(),
      timedOut: z.boolean(),
      waitedMs: z.number(),
      latencyMs: z
        .object({
          count: z.number(),
          p50: z.number(),
          p95: z.number(),
          p99: z.number(),
          max: z.number(),
        })
        .nullable(),
    })
    .nullable(),
});
export type ProducerSummary = z.infer<typeof ProducerSummarySchema>;

export interface ThroughputRun {
  type: string;
  payload: string;
  jobs: number;
  producer: {
    exit: string;
    /** From its start to its exit: connect, enqueue, wait. */
    wallMs: number;
    /** Its --json summary without the keys; null when it printed none. */
    summary: Omit<ProducerSummary, 'keys'> | null;
  };
  results: { read: number; missing: number; unreadable: number };
  /** Results read / (last finished − first created). */
  endToEnd: { spanMs: number; jobsPerSecond: number } | null;
  /** created → finished, from the result znodes. */
  latencyMs: Distribution | null;
  /** Where the time goes: created → assigned, assigned → started, started → finished. */
  phasesMs: { queued: Distribution | null; handoff: Distribution | null; run: Distribution | null };
  perWorker: Record<string, number>;
  /** Results whose attempt is above 1: the job failed or was taken back at least once. */
  retried: number;
  epochs: number[];
  /** Cores used from the producer's start to its exit, per process and machine-wide. */
  cpu: CpuUse | null;
  /** What the servers did per job, from the producer's start to the last job settled. */
  servers: ServerWork | null;
  /** The leader's scheduling rounds and assignments during the run (same term throughout). */
  leader: LeaderTotals | null;
  error: string | null;
}

export async function runThroughput(
  fleet: AppFleet,
  client: ZkClient,
  probe: RunProbe,
  job: JobCase,
  jobs: number,
  label: string,
  say: (line: string) => void,
  /** How the producer paces the jobs; default `--count jobs` (all at once, pipelined). */
  pace: string[] = ['--count', String(jobs)],
  /**
   * `producer`: the producer waits for every result (`--wait`: an exists watch on each
   * job's result and dead paths, then a read). `count`: the producer only enqueues, and
   * the bench watches the number of children of /results and /dead, so that the waiting
   * adds no load per job to the ensemble under test.
   */
  waitBy: 'producer' | 'count' = 'producer',
  /** The backstop on the producer's run: it is SIGKILLed after this long. */
  producerTimeoutMs = 400_000,
): Promise<ThroughputRun> {
  const args = ['--type', job.type, '--payload', job.payload, ...pace];
  const leaderBefore = await probe.leaderTotals();
  const cpuBefore = sampleCpu(probe.processes());
  const serversBefore = await probe.sampleServers?.();
  const settledBefore = waitBy === 'count' ? await settledCount(client) : 0;
  const startedAt = performance.now();
  // The producer's own --wait-timeout (300 s) ends it first; this is the backstop.
  const { app, exit, timedOut } = await fleet.run(
    'producer',
    [...args, ...(waitBy === 'producer' ? ['--wait'] : []), '--json'],
    label,
    producerTimeoutMs,
  );
  if (waitBy === 'count' && exit.code === 0) {
    await waitForCount(client, settledBefore + jobs, 300_000);
  }
  const wallMs = Math.round(performance.now() - startedAt);
  const cpu = cpuUse(cpuBefore, sampleCpu(probe.processes()));
  const serversAfter = await probe.sampleServers?.();
  const leaderAfter = await probe.leaderTotals();
  const run: ThroughputRun = {
    type: job.type,
    payload: job.payload,
    jobs,
    producer: { exit: describeExit(exit), wallMs, summary: null },
    results: { read: 0, missing: 0, unreadable: 0 },
    endToEnd: null,
    latencyMs: null,
    phasesMs: { queued: null, handoff: null, run: null },
    perWorker: {},
    retried: 0,
    epochs: [],
    cpu,
    servers: serversBefore && serversAfter ? serverWork(serversBefore, serversAfter, jobs) : null,
    leader:
      leaderBefore && leaderAfter && leaderBefore.id === leaderAfter.id
        ? {
            id: leaderAfter.id,
            rounds: leaderAfter.rounds - leaderBefore.rounds,
            assigned: leaderAfter.assigned - leaderBefore.assigned,
          }
        : null,
    error: null,
  };
  let summary: ProducerSummary;
  try {
    summary = ProducerSummarySchema.parse(JSON.parse(app.stdout));
  } catch {
    run.error =
      `the producer (${run.producer.exit}${timedOut ? ', timed out' : ''}) printed no ` +
      `summary: ${app.stderrTail(5)}`;
    return run;
  }
  const { keys, ...rest } = summary;
  run.producer.summary = rest;
  if (exit.code !== 0) run.error = `the producer ended with ${run.producer.exit}`;
  say(`${label}: enqueued ${summary.enqueued} at ${summary.jobsPerSecond} jobs/s; reading results`);

  const { results, missing, unreadable } = await readResults(client, keys);
  run.results = { read: results.length, missing, unreadable };
  if (results.length > 0) {
    // A loop, not Math.min(...): a spread of 100,000 arguments can overflow the stack.
    const firstCreated = results.reduce((min, r) => Math.min(min, r.created), Infinity);
    const lastFinished = results.reduce((max, r) => Math.max(max, r.finished), -Infinity);
    const spanMs = Math.max(lastFinished - firstCreated, 1);
    run.endToEnd = { spanMs, jobsPerSecond: round1(results.length / (spanMs / 1000)) };
  }
  run.latencyMs = distribution(results.map((r) => r.finished - r.created));
  run.phasesMs = {
    queued: distribution(results.map((r) => r.assigned - r.created)),
    handoff: distribution(results.map((r) => r.started - r.assigned)),
    run: distribution(results.map((r) => r.finished - r.started)),
  };
  for (const result of results) {
    run.perWorker[result.worker] = (run.perWorker[result.worker] ?? 0) + 1;
  }
  run.retried = results.filter((r) => r.attempt > 1).length;
  run.epochs = [...new Set(results.map((r) => r.epoch))].sort((a, b) => a - b);
  return run;
}

/** Results and dead records so far: the children of /results and /dead, from their stats. */
async function settledCount(client: ZkClient): Promise<number> {
  const [results, dead] = await Promise.all([
    client.exists(PATHS.results),
    client.exists(PATHS.dead),
  ]);
  return (results?.numChildren ?? 0) + (dead?.numChildren ?? 0);
}

/** Polls the settled count every 20 ms (two reads) until it reaches `target`. */
async function waitForCount(client: ZkClient, target: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await settledCount(client)) < target) {
    if (performance.now() > deadline) {
      throw new Error(`fewer than ${target} results and dead records after ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}

/** Every result of `keys`, read pipelined; a key without one (dead, or unsettled) is missing. */
async function readResults(
  client: ZkClient,
  keys: readonly string[],
): Promise<{ results: JobResult[]; missing: number; unreadable: number }> {
  const results: JobResult[] = [];
  let missing = 0;
  let unreadable = 0;
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      try {
        const { data } = await client.getData(resultPath(key));
        results.push(decode(JobResultSchema, data, `result ${key}`));
      } catch (error) {
        if (error instanceof NoNodeError) missing++;
        else if (error instanceof InvalidDataError) unreadable++;
        else throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, keys.length) }, reader));
  return { results, missing, unreadable };
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

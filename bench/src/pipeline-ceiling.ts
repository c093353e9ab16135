/**
 * The ensemble's own ceiling for the pipeline's design: the transactions one job costs,
 * written by one client of our own code (@zk-lab/zk-client), pipelined, with nothing
 * between them but the client. A job costs ZooKeeper four transactions today:
 *
 *   1. the producer:  multi[create /queue/<key> (the job), create /produced/<id> (marker, a
 *                     TTL node)]
 *   2. the producer:  delete /produced/<id> (the create's outcome is known: the marker is
 *                     done; idempotent-create.ts)
 *   3. the leader:    multi[check /epoch, create /assign/<w>/<key> (the task), delete /queue/<key>]
 *   4. the worker:    multi[create /results/<key> (the result), delete /assign/<w>/<key>]
 *
 * Here each job runs them in order, but for the marker's delete, which the producer sends
 * without waiting and so runs beside the leader's; `window` jobs at once, with node data of
 * the sizes the apps write. The ceiling in jobs/s is jobs / elapsed; the transactions/s
 * beside it are 4 × that. (Until 2026-12-06 the ceiling left the marker's delete out and
 * counted three: the requests per sender of the pipeline bench showed the fourth.)
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateMode, NodeExistsError, ZkClient } from '@zk-lab/zk-client';
import { runJsonDriver } from './bench-cli';
import { type ServerSample, serverWork, type ServerWork } from './server-work';

export const TRANSACTIONS_PER_JOB = 4;

/** Bytes of node data, about what the apps write for an echo job with payload {}. */
/** The producer's marker TTL (apps/producer idempotent-create.ts): an hour. */
const MARKER_TTL_MS = 60 * 60 * 1000;

export const DATA_BYTES = { job: 260, marker: 0, task: 360, result: 560 } as const;

export interface CeilingRound {
  jobs: number;
  elapsedMs: number;
  jobsPerSecond: number;
  transactionsPerSecond: number;
  /** What the servers did per job during the timed part (server-work.ts), when sampled. */
  servers?: ServerWork | null;
}

export interface CeilingOptions {
  connect: string;
  jobs: number;
  window: number;
  sessionMs: number;
}

const ROOT = '/bench-ceiling';

/** One round on a fresh folder of its own; the folder is removed after the round. */
export async function measureCeiling(
  options: CeilingOptions,
  round: number,
  sampleServers?: () => Promise<ServerSample>,
): Promise<CeilingRound> {
  const client = await ZkClient.connect({
    connectString: options.connect,
    sessionTimeoutMs: options.sessionMs,
  });
  try {
    const base = `${ROOT}/round-${round}-${Date.now()}`;
    for (const path of [ROOT, base, `${base}/queue`, `${base}/produced`, `${base}/assign`]) {
      await client.create(path).catch((error: unknown) => {
        if (!(error instanceof NodeExistsError)) throw error;
      });
    }
    await client.create(`${base}/assign/w1`);
    await client.create(`${base}/results`);
    await client.create(`${base}/epoch`, '1');
    const data = {
      job: Buffer.alloc(DATA_BYTES.job, 'j'),
      task: Buffer.alloc(DATA_BYTES.task, 't'),
      result: Buffer.alloc(DATA_BYTES.result, 'r'),
    };
    const oneJob = async (i: number): Promise<void> => {
      const key = `job-${String(i).padStart(10, '0')}`;
      const marker = `${base}/produced/${key}`;
      await client
        .multi()
        .create(`${base}/queue/${key}`, data.job)
        .create(marker, undefined, { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: MARKER_TTL_MS })
        .commit();
      await Promise.all([
        client.delete(marker),
        client
          .multi()
          .check(`${base}/epoch`, 0)
          .create(`${base}/assign/w1/${key}`, data.task)
          .delete(`${base}/queue/${key}`)
          .commit(),
      ]);
      await client
        .multi()
        .create(`${base}/results/${key}`, data.result)
        .delete(`${base}/assign/w1/${key}`)
        .commit();
    };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < options.jobs) await oneJob(next++);
    };
    const serversBefore = await sampleServers?.();
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(options.window, options.jobs) }, lane));
    const elapsedMs = performance.now() - started;
    const serversAfter = await sampleServers?.();
    const jobsPerSecond = options.jobs / (elapsedMs / 1000);
    await removeTree(client, base);
    return {
      jobs: options.jobs,
      elapsedMs: Math.round(elapsedMs),
      jobsPerSecond: Math.round(jobsPerSecond),
      transactionsPerSecond: Math.round(jobsPerSecond * TRANSACTIONS_PER_JOB),
      servers:
        serversBefore && serversAfter
          ? serverWork(serversBefore, serversAfter, options.jobs)
          : null,
    };
  } finally {
    await client.close();
  }
}

/**
 * The same from `processes` processes at once (drivers/ceiling.ts), each with its share of
 * the jobs and of the window and a folder of its own: jobs in all / the slowest one's time.
 */
export async function measureCeilingProcesses(
  options: CeilingOptions,
  round: number,
  processes: number,
): Promise<CeilingRound> {
  const driver = join(__dirname, 'drivers', 'ceiling.js');
  const share = (total: number) => Math.max(1, Math.floor(total / processes));
  const rounds = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      runJsonDriver<CeilingRound>(driver, {
        options: { ...options, jobs: share(options.jobs), window: share(options.window) },
        round: round * 100 + i,
      }),
    ),
  );
  const jobs = rounds.reduce((sum, r) => sum + r.jobs, 0);
  const elapsedMs = Math.max(...rounds.map((r) => r.elapsedMs));
  const jobsPerSecond = jobs / (elapsedMs / 1000);
  return {
    jobs,
    elapsedMs,
    jobsPerSecond: Math.round(jobsPerSecond),
    transactionsPerSecond: Math.round(jobsPerSecond * TRANSACTIONS_PER_JOB),
  };
}

/** Removes a folder two levels deep (children first), pipelined. */
async function removeTree(client: ZkClient, path: string): Promise<void> {
  const children = await client.getChildren(path);
  await Promise.all(children.map((child) => removeTree(client, `${path}/${child}`)));
  await client.delete(path);
}

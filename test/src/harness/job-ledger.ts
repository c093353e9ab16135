/**
 * What the system did with the jobs of a test, read from the znodes themselves: the
 * results, the dead records, and what is still queued or assigned. The test root is the
 * test's own, so listing `/results` and `/dead` here is bounded by what the test produced.
 */
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';
import {
  DeadJobSchema,
  decode,
  JobResultSchema,
  PATHS,
  type DeadJob,
  type JobResult,
} from '@zk-lab/lab-core';
import { waitFor } from './waiting';

export interface Ledger {
  results: Map<string, JobResult>;
  dead: Map<string, DeadJob>;
  queued: string[];
  /** `worker/key` of every task node. */
  assigned: string[];
}

async function children(client: ZkClient, path: string): Promise<string[]> {
  try {
    return await client.getChildren(path);
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

export async function readLedger(client: ZkClient): Promise<Ledger> {
  await client.sync('/');
  const [resultKeys, deadKeys, queued, workers] = await Promise.all([
    children(client, PATHS.results),
    children(client, PATHS.dead),
    children(client, PATHS.queue),
    children(client, PATHS.assign),
  ]);
  const [results, dead, tasks] = await Promise.all([
    Promise.all(
      resultKeys.map(async (key) => {
        const { data } = await client.getData(`${PATHS.results}/${key}`);
        return [key, decode(JobResultSchema, data, `result ${key}`)] as const;
      }),
    ),
    Promise.all(
      deadKeys.map(async (key) => {
        const { data } = await client.getData(`${PATHS.dead}/${key}`);
        return [key, decode(DeadJobSchema, data, `dead record ${key}`)] as const;
      }),
    ),
    Promise.all(
      workers.map(async (w) =>
        (await children(client, `${PATHS.assign}/${w}`)).map((k) => `${w}/${k}`),
      ),
    ),
  ]);
  return { results: new Map(results), dead: new Map(dead), queued, assigned: tasks.flat() };
}

/** Waits until `count` jobs have a result or a dead record; returns the ledger then. */
export async function waitForSettled(
  client: ZkClient,
  count: number,
  timeoutMs: number,
): Promise<Ledger> {
  let ledger: Ledger | null = null;
  let settled = 0;
  await waitFor(
    `${count} jobs settled (last seen: ${settled})`,
    async () => {
      const [results, dead] = await Promise.all([
        client.exists(PATHS.results),
        client.exists(PATHS.dead),
      ]);
      settled = (results?.numChildren ?? 0) + (dead?.numChildren ?? 0);
      return settled >= count;
    },
    timeoutMs,
  );
  ledger = await readLedger(client);
  return ledger;
}

/**
 * The guarantee: every job ends with exactly one result or dead record, and nothing is
 * left queued or assigned. Returns a list of violations (empty when it holds).
 */
export function violations(ledger: Ledger, produced: number): string[] {
  const problems: string[] = [];
  const settledIds = new Map<string, string>();
  for (const [key, result] of ledger.results) {
    if (ledger.dead.has(key)) problems.push(`${key} has a result and a dead record`);
    const seen = settledIds.get(result.id);
    if (seen !== undefined) problems.push(`job ${result.id} settled twice: ${seen} and ${key}`);
    settledIds.set(result.id, key);
  }
  for (const [key, record] of ledger.dead) {
    const id = record.job?.id;
    if (id === undefined) continue;
    const seen = settledIds.get(id);
    if (seen !== undefined && seen !== key)
      problems.push(`job ${id} settled twice: ${seen} and ${key}`);
    settledIds.set(id, key);
  }
  const settled = ledger.results.size + ledger.dead.size;
  if (settled !== produced) problems.push(`${settled} jobs settled, ${produced} produced`);
  if (ledger.queued.length > 0)
    problems.push(`still queued: ${ledger.queued.slice(0, 5).join(', ')}…`);
  if (ledger.assigned.length > 0) {
    problems.push(`still assigned: ${ledger.assigned.slice(0, 5).join(', ')}…`);
  }
  return problems;
}

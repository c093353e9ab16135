/**
 * What the lab's namespace (DESIGN section 3) says, read in one go: the masters from the
 * election's participants and /epoch, the workers from their registrations and task folders,
 * the counts from the parents' stats, and every ephemeral node of the layout with its owner.
 * Bounded by design: only the election, the workers and the task folders are listed (one
 * entry per app); the queue, results and dead jobs are counted from their parents' Stat.
 */
import { sessionHex } from '@zk-lab/lab-core';
import { PATHS } from '@zk-lab/lab-core';
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';

export interface MasterSeen {
  /** The id the master gave its election node (its data). */
  id: string;
  session: string;
  /** First in the election's queue. */
  leading: boolean;
  node: string;
}

export interface WorkerSeen {
  id: string;
  /** The owner of its registration, null when it has none (tasks left in its folder). */
  session: string | null;
  registered: boolean;
  /** Task nodes in its folder. */
  running: string[];
}

export interface NamespaceReading {
  at: number;
  masters: MasterSeen[];
  epoch: number | null;
  workers: WorkerSeen[];
  counts: { queued: number; assigned: number; results: number; dead: number };
  /** The layout's ephemeral nodes (election, workers) with their owning session. */
  ephemerals: { path: string; owner: string }[];
}

const PARTICIPANT = /latch-(\d{10})$/;

/** Reads the layout under `root`; null when `root` does not hold it. */
export async function readNamespace(
  client: ZkClient,
  root: string,
): Promise<NamespaceReading | null> {
  const base = root === '/' ? '' : root;
  const at = Date.now();
  const [election, queue, workersStat, assign, results, dead] = await Promise.all(
    [PATHS.election, PATHS.queue, PATHS.workers, PATHS.assign, PATHS.results, PATHS.dead].map((p) =>
      client.exists(`${base}${p}`),
    ),
  );
  if (election == null || queue == null || workersStat == null || assign == null) return null;

  const [participants, registrations, folders, epoch] = await Promise.all([
    children(client, `${base}${PATHS.election}`),
    children(client, `${base}${PATHS.workers}`),
    children(client, `${base}${PATHS.assign}`),
    readEpoch(client, `${base}${PATHS.epoch}`),
  ]);
  const queued = participants
    .flatMap((name) => {
      const match = PARTICIPANT.exec(name);
      return match === null ? [] : [{ name, sequence: Number(match[1]) }];
    })
    .sort((a, b) => a.sequence - b.sequence);
  const masters = (
    await Promise.all(
      queued.map(async ({ name }, index): Promise<MasterSeen | null> => {
        const node = `${base}${PATHS.election}/${name}`;
        const read = await orNull(client.getData(node));
        if (read === null) return null;
        return {
          id: read.data.toString('utf8') || name,
          session: sessionHex(read.stat.ephemeralOwner),
          leading: index === 0,
          node,
        };
      }),
    )
  ).filter((m): m is MasterSeen => m !== null);
  // The first one still there leads (one may have gone between the listing and the read).
  if (masters.length > 0 && !masters.some((m) => m.leading)) masters[0]!.leading = true;

  const owners = await Promise.all(
    registrations.map((id) => orNull(client.exists(`${base}${PATHS.workers}/${id}`))),
  );
  const tasks = await Promise.all(
    folders.map((id) => children(client, `${base}${PATHS.assign}/${id}`)),
  );
  const workers = new Map<string, WorkerSeen>();
  registrations.forEach((id, i) => {
    const stat = owners[i];
    if (stat == null) return;
    workers.set(id, {
      id,
      session: sessionHex(stat.ephemeralOwner),
      registered: true,
      running: [],
    });
  });
  folders.forEach((id, i) => {
    const running = (tasks[i] ?? []).sort();
    const worker = workers.get(id);
    if (worker !== undefined) worker.running = running;
    else if (running.length > 0) workers.set(id, { id, session: null, registered: false, running });
  });

  return {
    at,
    masters,
    epoch,
    workers: [...workers.values()].sort((a, b) =>
      a.id.localeCompare(b.id, 'en', { numeric: true }),
    ),
    counts: {
      queued: queue.numChildren,
      assigned: tasks.reduce((n, t) => n + t.length, 0),
      results: results?.numChildren ?? 0,
      dead: dead?.numChildren ?? 0,
    },
    ephemerals: [
      ...masters.map((m) => ({ path: m.node, owner: m.session })),
      ...[...workers.values()].flatMap((w) =>
        w.session === null ? [] : [{ path: `${base}${PATHS.workers}/${w.id}`, owner: w.session }],
      ),
    ],
  };
}

async function children(client: ZkClient, path: string): Promise<string[]> {
  return (await orNull(client.getChildren(path))) ?? [];
}

async function readEpoch(client: ZkClient, path: string): Promise<number | null> {
  const read = await orNull(client.getData(path));
  if (read === null) return null;
  const epoch = Number(read.data.toString('utf8'));
  return Number.isFinite(epoch) ? epoch : null;
}

/** The value, or null when the node is gone. */
async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof NoNodeError) return null;
    throw err;
  }
}

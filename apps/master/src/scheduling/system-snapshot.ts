/**
 * One consistent-enough reading of the system for a scheduling round: the live workers with
 * their capacity, the task nodes under every `/assign/<worker>`, and the queue in order.
 * Every read is bounded: workers × capacity tasks, and a queue the producers keep under
 * `queueMaxDepth`. Nothing here lists `/results` or `/dead`, which grow without bound.
 * Reads run pipelined, not one round trip after another.
 */
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';
import {
  assignDir,
  compareJobNames,
  decode,
  InvalidDataError,
  isJobName,
  PATHS,
  WorkerInfoSchema,
  workerPath,
} from '@zk-lab/lab-core';

export interface LiveWorker {
  id: string;
  /**
   * From the registration; 0 while it drains (it shuts down: nothing more is assigned), 1
   * when its data did not parse (and `invalid` says why).
   */
  capacity: number;
  /** The digest id of the worker's own identity, from its registration (null: none). */
  identity: string | null;
  invalid: string | null;
  /** The registration node's ephemeral owner and data version, as read. */
  session: bigint;
  version: number;
}

export interface SystemSnapshot {
  workers: Map<string, LiveWorker>;
  /** Task node names under each `/assign/<worker>` folder, live worker or not. */
  tasks: Map<string, string[]>;
  /** Queue node names in queue order. */
  queue: string[];
  /** Queue node names that are not job names (left by something else). */
  strangers: string[];
}

async function childrenOrEmpty(client: ZkClient, path: string): Promise<string[]> {
  try {
    return await client.getChildren(path);
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

async function readWorker(client: ZkClient, id: string): Promise<LiveWorker | null> {
  let read;
  try {
    read = await client.getData(workerPath(id));
  } catch (error) {
    if (error instanceof NoNodeError) return null;
    throw error;
  }
  const node = { session: read.stat.ephemeralOwner, version: read.stat.version };
  try {
    const info = decode(WorkerInfoSchema, read.data, `registration of worker ${id}`);
    return {
      id,
      capacity: info.draining === true ? 0 : info.capacity,
      identity: info.identity ?? null,
      invalid: null,
      ...node,
    };
  } catch (error) {
    if (error instanceof InvalidDataError) {
      return { id, capacity: 1, identity: null, invalid: error.message, ...node };
    }
    throw error;
  }
}

export async function readSnapshot(client: ZkClient): Promise<SystemSnapshot> {
  const [workerIds, dirs, queueNames] = await Promise.all([
    childrenOrEmpty(client, PATHS.workers),
    childrenOrEmpty(client, PATHS.assign),
    childrenOrEmpty(client, PATHS.queue),
  ]);
  const [workers, taskLists] = await Promise.all([
    Promise.all(workerIds.map((id) => readWorker(client, id))),
    Promise.all(dirs.map((dir) => childrenOrEmpty(client, assignDir(dir)))),
  ]);
  const tasks = new Map<string, string[]>();
  dirs.forEach((dir, i) => tasks.set(dir, taskLists[i] ?? []));
  return {
    workers: new Map(
      workers.filter((w): w is LiveWorker => w !== null).map((w) => [w.id, w] as const),
    ),
    tasks,
    queue: queueNames.filter(isJobName).sort(compareJobNames),
    strangers: queueNames.filter((name) => !isJobName(name)),
  };
}

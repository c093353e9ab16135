import {
  connectToNamespace,
  decode,
  loadCredentials,
  PATHS,
  QueuedJobSchema,
  type QueuedJob,
  queuePath,
  resolveConnection,
  type Role,
} from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';

/** A session under `root` as `role`, the way the apps connect. */
export function connectAs(role: Role, connect: string, root: string): Promise<ZkClient> {
  return connectToNamespace(resolveConnection({ connect, root }), loadCredentials(role));
}

/** The number of jobs in /queue, from its Stat. */
export async function queueDepth(client: ZkClient): Promise<number> {
  await client.sync(PATHS.queue);
  return (await client.exists(PATHS.queue))?.numChildren ?? 0;
}

/** Every queue node (a test's queue is small enough to list) with its parsed data. */
export async function readQueue(client: ZkClient): Promise<{ name: string; job: QueuedJob }[]> {
  await client.sync(PATHS.queue);
  const names = await client.getChildren(PATHS.queue);
  return Promise.all(
    names.map(async (name) => {
      const { data } = await client.getData(queuePath(name));
      return { name, job: decode(QueuedJobSchema, data, `queue node ${name}`) };
    }),
  );
}

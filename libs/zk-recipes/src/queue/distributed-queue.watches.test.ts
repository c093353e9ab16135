/**
 * The DistributedQueue leaves no watch behind (review zk-recipes F2): a consumer that finds
 * an item claimed by another, whose claim is gone by the time it watches it, sets no watch
 * on the servers or in its client. On the shared ensemble.
 */
import { randomBytes } from 'node:crypto';
import { ZkClient } from '@zk-lab/zk-client';
import {
  registeredWatchPaths,
  serverWatchesUnder,
  sharedConnectString,
  testRoot,
  waitFor,
} from '@zk-lab/test';
import { DistributedQueue, type QueueItem } from './distributed-queue';

const ITEMS = 30;

describe('DistributedQueue watches', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const queues: DistributedQueue[] = [];

  async function consumer(path: string): Promise<{ client: ZkClient; queue: DistributedQueue }> {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(client);
    const queue = new DistributedQueue(client, path);
    queues.push(queue);
    await queue.start();
    return { client, queue };
  }

  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await clients[0]?.deleteRecursive(root);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('a claim completed before the other consumer watches it leaves no watch, on the servers or in the client', async () => {
    const path = `${root}/queue-${randomBytes(4).toString('hex')}`;
    const first = await consumer(path);
    const second = await consumer(path);
    const baseline = await serverWatchesUnder(sharedConnectString(), first.queue.claimsPath);

    // Item after item, the race made certain: the second consumer finds the item claimed,
    // and the first one completes it right before the second one watches the claim.
    let raced = 0;
    for (let round = 0; round < ITEMS; round++) {
      await first.queue.put(`job-${round}`);
      const held = (await first.queue.take({ timeoutMs: 5_000 })) as QueueItem;
      const claimPath = `${first.queue.claimsPath}/${held.name}`;
      // The take is ended once the watch's read is answered: no wait on a clock.
      const ended = new AbortController();
      const raceThen = async <T>(read: () => Promise<T>): Promise<T> => {
        raced++;
        await held.complete();
        try {
          return await read();
        } finally {
          ended.abort(new Error('the race was run'));
        }
      };
      const getData = second.client.getData.bind(second.client);
      const exists = second.client.exists.bind(second.client);
      second.client.getData = (target, options) =>
        target === claimPath && options?.watch !== undefined
          ? raceThen(() => getData(target, options))
          : getData(target, options);
      second.client.exists = (target, options) =>
        target === claimPath && options?.watch !== undefined
          ? raceThen(() => exists(target, options))
          : exists(target, options);
      try {
        await expect(second.queue.take({ signal: ended.signal })).rejects.toThrow(
          'the race was run',
        );
      } finally {
        second.client.getData = getData;
        second.client.exists = exists;
      }
      expect(held.state).toBe('COMPLETED');
    }
    expect(raced).toBe(ITEMS);

    await waitFor(
      'the servers back to their watch count before the items',
      async () =>
        (await serverWatchesUnder(sharedConnectString(), first.queue.claimsPath)) === baseline,
      5_000,
    ).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}: ${await serverWatchesUnder(sharedConnectString(), first.queue.claimsPath)} watches, ${baseline} before`,
      );
    });
    expect(registeredWatchPaths(second.client, first.queue.claimsPath)).toEqual([]);
  });
});

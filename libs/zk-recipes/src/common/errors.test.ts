/**
 * One error type to catch whatever the recipe: every wait that its recipe's close() ends
 * rejects with a RecipeClosedError, every timeout with a RecipeTimeoutError (on the shared
 * ensemble), while each family's own classes still test as before.
 */
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { Barrier } from '../barriers/barrier';
import { LeaderLatch } from '../leader/leader-latch';
import { LeadershipTimeoutError } from '../leader/errors';
import { DistributedLock } from '../locks/distributed-lock';
import { LockClosedError, LockError, LockTimeoutError } from '../locks/errors';
import { DistributedQueue } from '../queue/distributed-queue';
import { QueueClosedError } from '../queue/errors';
import { RecipeClosedError, RecipeTimeoutError } from './errors';
import { RecipeStateError } from './lifecycle';

describe('the errors recipes share', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  afterAll(async () => {
    await clients[0]?.deleteRecursive(root);
    await Promise.all(clients.map((client) => client.close()));
  });

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(client);
    return client;
  }

  it('a family error is also the shared one, and only that one', () => {
    const lockClosed = new LockClosedError('/l');
    expect(lockClosed).toBeInstanceOf(LockError);
    expect(lockClosed).toBeInstanceOf(RecipeClosedError);
    expect(lockClosed).not.toBeInstanceOf(QueueClosedError);
    expect(new QueueClosedError('closed')).toBeInstanceOf(RecipeClosedError);
    expect(new QueueClosedError('closed')).toBeInstanceOf(RecipeStateError);
    expect(new LockTimeoutError('/l', 5)).toBeInstanceOf(RecipeTimeoutError);
    expect(new LeadershipTimeoutError(5)).toBeInstanceOf(RecipeTimeoutError);
    expect(new LeadershipTimeoutError(5).timeoutMs).toBe(5);
    expect(new Error('x')).not.toBeInstanceOf(RecipeClosedError);
    expect(new RecipeStateError('x')).not.toBeInstanceOf(RecipeClosedError);
  });

  it('close() ends the waits of a lock, a latch, a barrier and a queue with RecipeClosedError', async () => {
    const [holder, waiter] = [await connect(), await connect()];
    const held = new DistributedLock(holder, `${root}/lock`);
    await held.start();
    const lease = await held.acquire();
    const lock = new DistributedLock(waiter, `${root}/lock`);
    await lock.start();
    const acquiring = lock.acquire();

    const leader = new LeaderLatch(holder, `${root}/election`, { id: 'leader' });
    await leader.start();
    await leader.await({ timeoutMs: 10_000 });
    const latch = new LeaderLatch(waiter, `${root}/election`, { id: 'waiter' });
    await latch.start();
    const electing = latch.await();
    await expect(latch.await({ timeoutMs: 50 })).rejects.toBeInstanceOf(RecipeTimeoutError);

    const barrier = new Barrier(waiter, `${root}/barrier`);
    await barrier.start();
    await barrier.setBarrier();
    const waiting = barrier.waitOnBarrier();

    const queue = new DistributedQueue(waiter, `${root}/queue`);
    await queue.start();
    const taking = queue.take();
    await expect(lock.acquire({ timeoutMs: 50 })).rejects.toBeInstanceOf(RecipeTimeoutError);

    await Promise.all([lock.close(), latch.close(), barrier.close(), queue.close()]);
    for (const wait of [acquiring, electing, waiting, taking]) {
      await expect(wait).rejects.toBeInstanceOf(RecipeClosedError);
    }
    await lease.release();
    await Promise.all([held.close(), leader.close()]);
  });
});

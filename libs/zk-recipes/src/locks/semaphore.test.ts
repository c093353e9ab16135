/**
 * Semaphore through several clients of one process, on the run's shared ensemble: never
 * more than N leases, FIFO, a release anywhere in the window admits the next waiter, and
 * timeouts leave no node behind.
 */
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { LockTimeoutError } from './errors';
import type { LockLease } from './lease';
import { Semaphore } from './semaphore';

describe('Semaphore', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const semaphores: Semaphore[] = [];
  let checker: ZkClient;

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    return client;
  }

  async function semaphoreOn(path: string, maxLeases: number): Promise<Semaphore> {
    const semaphore = new Semaphore(await connect(), path, { maxLeases });
    await semaphore.start();
    semaphores.push(semaphore);
    return semaphore;
  }

  async function nodeCount(path: string): Promise<number> {
    await checker.sync(path);
    return (await checker.getChildren(path)).length;
  }

  beforeAll(async () => {
    checker = await connect();
    await checker.ensurePath(root);
  });

  afterEach(async () => {
    await Promise.all(semaphores.splice(0).map((s) => s.close()));
    await Promise.all(clients.splice(1).map((c) => c.close()));
  });

  afterAll(async () => {
    await checker.deleteRecursive(root);
    await checker.close();
  });

  it('refuses a maxLeases that is not a positive integer', async () => {
    const client = await connect();
    expect(() => new Semaphore(client, `${root}/bad`, { maxLeases: 0 })).toThrow(RangeError);
    expect(() => new Semaphore(client, `${root}/bad`, { maxLeases: 1.5 })).toThrow(RangeError);
  });

  it('never holds more than N leases, under contention', async () => {
    const path = `${root}/bounded`;
    const maxLeases = 3;
    const contenders = await Promise.all([1, 2, 3, 4, 5, 6].map(() => semaphoreOn(path, 3)));
    let inside = 0;
    let most = 0;
    await Promise.all(
      contenders.map(async (semaphore) => {
        for (let round = 0; round < 8; round++) {
          const lease = await semaphore.acquire();
          inside += 1;
          most = Math.max(most, inside);
          await checker.exists(path); // hold for a round trip
          inside -= 1;
          await lease.release();
        }
      }),
    );
    expect(most).toBeLessThanOrEqual(maxLeases);
    expect(await nodeCount(path)).toBe(0);
  });

  it('grants N at once, then admits waiters in arrival order as leases come back', async () => {
    const path = `${root}/fifo`;
    const holders = await Promise.all([semaphoreOn(path, 2), semaphoreOn(path, 2)]);
    const [a, b] = await Promise.all(holders.map((s) => s.acquire({ timeoutMs: 5_000 })));
    const order: number[] = [];
    const leases = new Map<number, LockLease>();
    const waiting: Promise<void>[] = [];
    for (let id = 1; id <= 3; id++) {
      const semaphore = await semaphoreOn(path, 2);
      waiting.push(
        semaphore.acquire().then((lease) => {
          order.push(id);
          leases.set(id, lease);
        }),
      );
      await waitFor(`waiter ${id} in line`, async () => (await nodeCount(path)) === 2 + id);
    }
    expect(order).toEqual([]);
    // The second holder, not the first, gives its lease back: the first waiter must get in
    // (a waiter that watched only the node N places ahead, the first holder, would hang).
    await b!.release();
    await waiting[0];
    expect(order).toEqual([1]);
    await a!.release();
    await waiting[1];
    expect(order).toEqual([1, 2]);
    await leases.get(1)!.release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
    await Promise.all([...leases.values()].map((lease) => lease.release()));
    expect(await nodeCount(path)).toBe(0);
  });

  it('gives up at the timeout and leaves no node behind', async () => {
    const path = `${root}/timeout`;
    const holder = await semaphoreOn(path, 1);
    const lease = await holder.acquire();
    const impatient = await semaphoreOn(path, 1);
    const started = Date.now();
    await expect(impatient.acquire({ timeoutMs: 400 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(Date.now() - started).toBeLessThan(400 + 1_000);
    await impatient.close();
    expect(await nodeCount(path)).toBe(1);
    await lease.release();
  });
});

/**
 * ReadWriteLock through several clients of one process, on the run's shared ensemble:
 * readers share, a writer excludes everyone, and a waiting writer is not overtaken by
 * readers that came after it.
 */
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { LockTimeoutError } from './errors';
import { ReadWriteLock } from './read-write-lock';

describe('ReadWriteLock', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const locks: ReadWriteLock[] = [];
  let checker: ZkClient;

  async function lockOn(path: string): Promise<ReadWriteLock> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    const lock = new ReadWriteLock(client, path);
    await lock.start();
    locks.push(lock);
    return lock;
  }

  async function nodeCount(path: string): Promise<number> {
    await checker.sync(path);
    return (await checker.getChildren(path)).length;
  }

  beforeAll(async () => {
    checker = await ZkClient.connect({ connectString: sharedConnectString() });
    await checker.ensurePath(root);
  });

  afterEach(async () => {
    await Promise.all(locks.splice(0).map((lock) => lock.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await checker.deleteRecursive(root);
    await checker.close();
  });

  it('lets readers share the lock', async () => {
    const path = `${root}/shared`;
    const readers = await Promise.all([1, 2, 3].map(() => lockOn(path)));
    const leases = await Promise.all(readers.map((r) => r.acquireRead({ timeoutMs: 5_000 })));
    expect(leases.every((lease) => lease.held)).toBe(true);
    await Promise.all(leases.map((lease) => lease.release()));
  });

  it('makes a writer wait for readers, and later readers wait for that writer', async () => {
    const path = `${root}/writer-waits`;
    const [r1, w, r2] = await Promise.all([1, 2, 3].map(() => lockOn(path)));
    const firstRead = await r1!.acquireRead();
    const order: string[] = [];
    const writing = w!.acquireWrite().then((lease) => {
      order.push('write');
      return lease;
    });
    await waitFor('the writer in line', async () => (await nodeCount(path)) === 2);
    const reading = r2!.acquireRead().then((lease) => {
      order.push('read');
      return lease;
    });
    await waitFor('the second reader in line', async () => (await nodeCount(path)) === 3);
    expect(order).toEqual([]);
    await firstRead.release();
    const write = await writing;
    expect(order).toEqual(['write']);
    await write.release();
    await (await reading).release();
    expect(order).toEqual(['write', 'read']);
  });

  it('makes a reader wait for a writer that holds', async () => {
    const path = `${root}/reader-waits`;
    const [writer, reader] = await Promise.all([lockOn(path), lockOn(path)]);
    const write = await writer.acquireWrite();
    await expect(reader.acquireRead({ timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    const reading = reader.acquireRead({ timeoutMs: 5_000 });
    await write.release();
    await (await reading).release();
  });

  it('never lets a writer overlap anyone, under contention', async () => {
    const path = `${root}/mixed`;
    const contenders = await Promise.all([1, 2, 3, 4].map(() => lockOn(path)));
    let readers = 0;
    let writers = 0;
    let violations = 0;
    await Promise.all(
      contenders.map(async (lock, index) => {
        for (let round = 0; round < 8; round++) {
          const write = (index + round) % 3 === 0;
          const lease = write ? await lock.acquireWrite() : await lock.acquireRead();
          if (write) writers += 1;
          else readers += 1;
          if (writers > 1 || (writers === 1 && readers > 0)) violations += 1;
          await checker.exists(path); // hold for a round trip
          if (write) writers -= 1;
          else readers -= 1;
          await lease.release();
        }
      }),
    );
    expect(violations).toBe(0);
    expect(await nodeCount(path)).toBe(0);
  });

  it('tells every holder and every listener of a loss, though a listener throws', async () => {
    const path = `${root}/throwing-listener`;
    const lock = await lockOn(path);
    const leases = [await lock.acquireRead(), await lock.acquireRead()];
    const told: string[] = [];
    lock.on('lost', () => {
      throw new Error('a listener that throws');
    });
    lock.on('lost', (error) => told.push(error.node));
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    let warnings: unknown[][];
    try {
      await clients[0]!.close();
      await waitFor('two warnings', () => warn.mock.calls.length === 2);
      warnings = [...warn.mock.calls];
    } finally {
      warn.mockRestore();
    }
    expect(leases.map((lease) => lease.signal.aborted)).toEqual([true, true]);
    expect(told.sort()).toEqual(leases.map((lease) => lease.node).sort());
    expect(warnings).toEqual([
      [
        "a ReadWriteLock 'lost' listener threw: Error: a listener that throws",
        { code: 'ZK_RECIPES_LISTENER_ERROR' },
      ],
      [
        "a ReadWriteLock 'lost' listener threw: Error: a listener that throws",
        { code: 'ZK_RECIPES_LISTENER_ERROR' },
      ],
    ]);
  });
});

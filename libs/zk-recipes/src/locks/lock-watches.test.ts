/**
 * No watch is left behind (review zk-recipes F2): after 10,000 contended lock cycles the
 * servers hold no watch for the contenders' sessions, as ZooKeeper itself counts them
 * (`wchc` on every server). A waiter watches a blocker that may be deleted before its watch
 * arrives; an `exists` watch set on a missing node would stay on the server (and in the
 * client) for the session's life, since lock node names are never used again.
 */
import { serverWatchesOf, sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { DistributedLock } from './distributed-lock';
import { ReadWriteLock } from './read-write-lock';
import { Semaphore } from './semaphore';

const CYCLES = 10_000;
const CONTENDERS = 4;
const MUTEXES = 5;

describe('lock watches', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const closers: Array<() => Promise<void>> = [];

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 10_000,
    });
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    const admin = clients[0];
    await admin?.deleteRecursive(root).catch(() => undefined);
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it(`returns the servers' watch count to its baseline after ${CYCLES} mutex cycles`, async () => {
    // Every session contends for each of MUTEXES locks at once: the same races, MUTEXES
    // times over in parallel.
    const sessions = await Promise.all(Array.from({ length: CONTENDERS }, () => connect()));
    const contenders = await Promise.all(
      sessions.flatMap((client) =>
        Array.from({ length: MUTEXES }, async (_, i) => {
          const lock = new DistributedLock(client, `${root}/mutex-${i}`);
          await lock.start();
          closers.push(() => lock.close());
          return lock;
        }),
      ),
    );
    const ids = sessions.map((client) => client.sessionId);
    expect(await serverWatchesOf(sharedConnectString(), ids)).toEqual([]);
    let cycles = 0;
    await Promise.all(
      contenders.map(async (lock) => {
        while (cycles < CYCLES) {
          cycles += 1;
          const lease = await lock.acquire();
          await lease.release();
        }
      }),
    );
    expect(await serverWatchesOf(sharedConnectString(), ids)).toEqual([]);
  });

  it('returns it to the baseline after read-write lock and semaphore cycles', async () => {
    const readWrite = await Promise.all(
      Array.from({ length: CONTENDERS }, async () => {
        const lock = new ReadWriteLock(await connect(), `${root}/rw`);
        await lock.start();
        closers.push(() => lock.close());
        return lock;
      }),
    );
    const semaphores = await Promise.all(
      clients.map(async (client) => {
        const semaphore = new Semaphore(client, `${root}/semaphore`, { maxLeases: 2 });
        await semaphore.start();
        closers.push(() => semaphore.close());
        return semaphore;
      }),
    );
    const sessions = clients.map((client) => client.sessionId);
    let cycles = 0;
    await Promise.all([
      ...readWrite.map(async (lock, i) => {
        while (cycles < CYCLES / 5) {
          cycles += 1;
          const lease = await (i % 2 === 0 ? lock.acquireWrite() : lock.acquireRead());
          await lease.release();
        }
      }),
      ...semaphores.map(async (semaphore) => {
        while (cycles < CYCLES / 5) {
          cycles += 1;
          const lease = await semaphore.acquire();
          await lease.release();
        }
      }),
    ]);
    expect(await serverWatchesOf(sharedConnectString(), sessions)).toEqual([]);
  });
});

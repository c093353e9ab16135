/**
 * `acquire({ timeoutMs: 0 })` is a try-lock on every lock recipe (review zk-recipes F11):
 * held when the lock is free, refused with LockTimeoutError at once when it is not, and
 * no node of ours left behind once it has been refused. On the run's shared ensemble.
 */
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { DistributedLock } from './distributed-lock';
import { LockTimeoutError } from './errors';
import type { LockLease } from './lease';
import type { AcquireOptions } from './lock-internals';
import { ReadWriteLock } from './read-write-lock';
import { Semaphore } from './semaphore';

type Acquire = (options: AcquireOptions) => Promise<LockLease>;

describe('try-lock: acquire({ timeoutMs: 0 })', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const recipes: { close(): Promise<void> }[] = [];
  let checker: ZkClient;
  let n = 0;

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    return client;
  }

  /** A started recipe over a client of its own, closed after the test. */
  async function started<R extends { start(): void; close(): Promise<void> }>(
    make: (client: ZkClient) => R,
  ): Promise<R> {
    const recipe = make(await connect());
    recipes.push(recipe);
    recipe.start();
    return recipe;
  }

  /** The lock's children as the leader has them (sync first: the checker's server may lag). */
  async function nodesOf(path: string): Promise<string[]> {
    await checker.sync(path);
    return (await checker.getChildren(path)).sort();
  }

  function fresh(name: string): string {
    n++;
    return `${root}/${name}-${n}`;
  }

  /**
   * `tryAcquire` takes the free lock; while `holder` holds it, a second try is refused with
   * LockTimeoutError, and the lock then has the holder's node only.
   */
  async function provesTryLock(path: string, tryAcquire: Acquire, hold: Acquire): Promise<void> {
    const free = await tryAcquire({ timeoutMs: 0 });
    expect(free.held).toBe(true);
    await free.release();

    const held = await hold({});
    const refused: unknown = await tryAcquire({ timeoutMs: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockTimeoutError);
    expect(await nodesOf(path)).toEqual([held.node.slice(path.length + 1)]);
    await held.release();
  }

  beforeAll(async () => {
    checker = await ZkClient.connect({ connectString: sharedConnectString() });
    await checker.ensurePath(root);
  });

  afterEach(async () => {
    await Promise.all(recipes.splice(0).map((recipe) => recipe.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await checker.deleteRecursive(root);
    await checker.close();
  });

  it('DistributedLock: takes a free lock, and refuses a held one leaving no node', async () => {
    const path = fresh('mutex');
    const trier = await started((client) => new DistributedLock(client, path));
    const holder = await started((client) => new DistributedLock(client, path));
    await provesTryLock(
      path,
      (options) => trier.acquire(options),
      (options) => holder.acquire(options),
    );
  });

  it('ReadWriteLock: a write try is refused by a reader, a read try by a writer', async () => {
    const path = fresh('rw');
    const trier = await started((client) => new ReadWriteLock(client, path));
    const holder = await started((client) => new ReadWriteLock(client, path));
    await provesTryLock(
      path,
      (options) => trier.acquireWrite(options),
      (options) => holder.acquireRead(options),
    );
    await provesTryLock(
      path,
      (options) => trier.acquireRead(options),
      (options) => holder.acquireWrite(options),
    );
    // Readers share: a read try succeeds while another reader holds.
    const reading = await holder.acquireRead();
    const alsoReading = await trier.acquireRead({ timeoutMs: 0 });
    expect(alsoReading.held).toBe(true);
    await Promise.all([reading.release(), alsoReading.release()]);
  });

  it('Semaphore: takes a free lease, and is refused when all N are held', async () => {
    const path = fresh('semaphore');
    const trier = await started((client) => new Semaphore(client, path, { maxLeases: 2 }));
    const holder = await started((client) => new Semaphore(client, path, { maxLeases: 2 }));
    const first = await holder.acquire();
    // One of two leases is taken: a try gets the other.
    const free = await trier.acquire({ timeoutMs: 0 });
    expect(free.held).toBe(true);
    await free.release();
    const second = await holder.acquire();
    const refused: unknown = await trier.acquire({ timeoutMs: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockTimeoutError);
    const nodes = [first.node, second.node].map((node) => node.slice(path.length + 1));
    expect(await nodesOf(path)).toEqual(nodes.sort());
    await Promise.all([first.release(), second.release()]);
  });

  it('refuses a negative or non-finite timeout', async () => {
    const lock = await started((client) => new DistributedLock(client, fresh('bad-timeout')));
    await expect(lock.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(lock.acquire({ timeoutMs: Number.NaN })).rejects.toBeInstanceOf(RangeError);
  });
});

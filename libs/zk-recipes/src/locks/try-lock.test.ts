/**
 * `acquire({ timeoutMs: 0 })` is a try-lock on every lock recipe (review zk-recipes F11):
 * held when the lock is free, refused with LockTimeoutError at once when it is not, and
 * no node of ours left behind once it has been refused. On the run's shared ensemble.
 */
import type { ZkClient } from '@zk-lab/zk-client';
import { useLockFixture } from './__tests__/lock-fixture';
import { DistributedLock } from './distributed-lock';
import { LockTimeoutError } from './errors';
import type { LockLease } from './lease';
import type { AcquireOptions } from './lock-internals';
import { ReadWriteLock } from './read-write-lock';
import { Semaphore } from './semaphore';

type Acquire = (options: AcquireOptions) => Promise<LockLease>;

describe('try-lock: acquire({ timeoutMs: 0 })', () => {
  const { connect, started, fresh, nodesUnder } = useLockFixture();

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
    expect(await nodesUnder([path])).toEqual([[held.node.slice(path.length + 1)]]);
    await held.release();
  }

  it('DistributedLock: takes a free lock, and refuses a held one leaving no node', async () => {
    const path = fresh('mutex');
    const trier = started(new DistributedLock(await connect(), path));
    const holder = started(new DistributedLock(await connect(), path));
    await provesTryLock(
      path,
      (options) => trier.acquire(options),
      (options) => holder.acquire(options),
    );
  });

  it('ReadWriteLock: a write try is refused by a reader, a read try by a writer', async () => {
    const path = fresh('rw');
    const trier = started(new ReadWriteLock(await connect(), path));
    const holder = started(new ReadWriteLock(await connect(), path));
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
    const trier = started(new Semaphore(await connect(), path, { maxLeases: 2 }));
    const holder = started(new Semaphore(await connect(), path, { maxLeases: 2 }));
    const first = await holder.acquire();
    // One of two leases is taken: a try gets the other.
    const free = await trier.acquire({ timeoutMs: 0 });
    expect(free.held).toBe(true);
    await free.release();
    const second = await holder.acquire();
    const refused: unknown = await trier.acquire({ timeoutMs: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockTimeoutError);
    const nodes = [first.node, second.node].map((node) => node.slice(path.length + 1));
    expect(await nodesUnder([path])).toEqual([nodes.sort()]);
    await Promise.all([first.release(), second.release()]);
  });

  it('rejects at a timeout only once its node is deleted, whether it waited or not', async () => {
    const path = fresh('deleted-first');
    const holder = started(new DistributedLock(await connect(), path));
    const held = await holder.acquire();
    const client = await connect();
    const trier = started(new DistributedLock(client, path));
    // What the trier's client was asked to delete, and when each deletion was answered.
    const order: string[] = [];
    const deleteGuaranteed = client.deleteGuaranteed.bind(client);
    client.deleteGuaranteed = async (...args: Parameters<ZkClient['deleteGuaranteed']>) => {
      await deleteGuaranteed(...args);
      order.push('node deleted');
    };
    for (const timeoutMs of [0, 200]) {
      await trier.acquire({ timeoutMs }).catch((error: unknown) => {
        order.push(error instanceof LockTimeoutError ? 'rejected' : String(error));
      });
    }
    expect(order).toEqual(['node deleted', 'rejected', 'node deleted', 'rejected']);
    await held.release();
  });

  it('refuses a negative or non-finite timeout', async () => {
    const lock = started(new DistributedLock(await connect(), fresh('bad-timeout')));
    await expect(lock.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(lock.acquire({ timeoutMs: Number.NaN })).rejects.toBeInstanceOf(RangeError);
  });
});

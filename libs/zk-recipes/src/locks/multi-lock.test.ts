/**
 * MultiLock through several clients of one process, on the run's shared ensemble: all or
 * none, no deadlock between multi-locks over overlapping sets given in opposite orders,
 * members released when another fails or is lost, and the lifecycle.
 */
import { RecipeStateError } from '../common/lifecycle';
import { useLockFixture } from './__tests__/lock-fixture';
import { DistributedLock } from './distributed-lock';
import { LockClosedError, LockLostError, LockTimeoutError } from './errors';
import { MultiLock } from './multi-lock';

describe('MultiLock', () => {
  const { connect, started, fresh, nodesUnder } = useLockFixture();

  it('never deadlocks nor overlaps with another multi-lock over an overlapping set in the opposite order', async () => {
    const [a, b, c] = [fresh('a'), fresh('b'), fresh('c')];
    const forward = started(new MultiLock(await connect(), [a, b, c]));
    const backward = started(new MultiLock(await connect(), [c, b]));
    expect(backward.paths).toEqual([b, c]);
    const inside = new Map<string, number>();
    let overlaps = 0;
    const rounds = async (lock: MultiLock, paths: string[]): Promise<void> => {
      for (let round = 0; round < 20; round++) {
        const lease = await lock.acquire();
        for (const path of paths) {
          inside.set(path, (inside.get(path) ?? 0) + 1);
          if (inside.get(path)! > 1) overlaps += 1;
        }
        // A round trip while holding, so the other really runs meanwhile.
        await nodesUnder([a]);
        for (const path of paths) inside.set(path, inside.get(path)! - 1);
        await lease.release();
      }
    };
    await Promise.all([rounds(forward, [a, b, c]), rounds(backward, [b, c])]);
    expect(overlaps).toBe(0);
    expect(await nodesUnder([a, b, c])).toEqual([[], [], []]);
  });

  it('releases the members it holds when a later one times out, before it rejects', async () => {
    const [first, second] = [fresh('first'), fresh('second')];
    const holder = started(new DistributedLock(await connect(), second));
    const held = await holder.acquire();
    // Given in the opposite order: `first` is still taken first.
    const multi = started(new MultiLock(await connect(), [second, first]));
    const error: unknown = await multi.acquire({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).path).toBe(second);
    // From another client: nothing of ours on either path, the holder's node alone.
    expect(await nodesUnder([first, second])).toEqual([[], [held.node.slice(second.length + 1)]]);
    await held.release();
    const lease = await multi.acquire({ timeoutMs: 0 });
    expect(lease.leases.map((l) => l.node.slice(0, l.node.lastIndexOf('/')))).toEqual([
      first,
      second,
    ]);
    await lease.release();
  });

  it('is lost when one member is lost, and gives the others back', async () => {
    const [kept, dropped] = [fresh('kept'), fresh('dropped')];
    const keptLock = started(new DistributedLock(await connect(), kept));
    const droppedClient = await connect();
    const droppedLock = started(new DistributedLock(droppedClient, dropped));
    const multi = started(new MultiLock(await connect(), [keptLock, droppedLock]));
    const lost: LockLostError[] = [];
    multi.on('lost', (error) => lost.push(error));
    const lease = await multi.acquire();
    expect(lease.held).toBe(true);
    await droppedClient.close(); // that member's session ends: its lease is lost
    expect(lease.signal.aborted).toBe(true);
    expect(lease.held).toBe(false);
    const reason = lease.signal.reason as LockLostError;
    expect(reason).toBeInstanceOf(LockLostError);
    expect([reason.path, reason.reason]).toEqual([dropped, 'CLOSED']);
    expect(lost).toEqual([reason]);
    // The kept member is given back unasked (release() then waits for that same release).
    expect(lease.leases.map((member) => member.held)).toEqual([false, false]);
    await lease.release();
    expect(await nodesUnder([kept, dropped])).toEqual([[], []]);
  });

  it('follows the lifecycle: refuses bad members, rejects waiters and releases on close', async () => {
    const client = await connect();
    const [x, y] = [fresh('x'), fresh('y')];
    expect(() => new MultiLock(client, [])).toThrow(RangeError);
    expect(() => new MultiLock(client, [x, y, x])).toThrow(RangeError);
    const multi = new MultiLock(client, [x, y]);
    await expect(multi.acquire()).rejects.toBeInstanceOf(RecipeStateError);
    started(multi);
    await expect(multi.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(RangeError);
    const held = await multi.acquire();
    const waiting = multi.acquire();
    await multi.close();
    await expect(waiting).rejects.toBeInstanceOf(LockClosedError);
    expect(held.signal.aborted).toBe(true);
    expect((held.signal.reason as LockLostError).reason).toBe('RECIPE_CLOSED');
    expect(await nodesUnder([x, y])).toEqual([[], []]);
    await expect(multi.acquire()).rejects.toBeInstanceOf(RecipeStateError);
  });
});

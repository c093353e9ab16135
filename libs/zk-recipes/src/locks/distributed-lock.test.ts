/**
 * DistributedLock through several clients of one process, on the run's shared ensemble:
 * mutual exclusion, FIFO order, timeouts and aborts that leave no node behind,
 * re-entrancy, `await using`, fencing tokens, and the lifecycle.
 */
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { RecipeStateError } from '../common/lifecycle';
import { DistributedLock } from './distributed-lock';
import { LockAbortedError, LockClosedError, LockLostError, LockTimeoutError } from './errors';

const SESSION_TIMEOUT_MS = 4_000;
/** Slack for a timer and a round trip on a busy 2-core machine. */
const MARGIN_MS = 1_000;

describe('DistributedLock', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const locks: DistributedLock[] = [];
  let checker: ZkClient;

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
    });
    clients.push(client);
    return client;
  }

  /** A started lock on `path`, over a client of its own unless one is given. */
  async function lockOn(
    path: string,
    options: { client?: ZkClient; reentrant?: boolean | 'async-context' } = {},
  ): Promise<DistributedLock> {
    const lock = new DistributedLock(options.client ?? (await connect()), path, {
      reentrant: options.reentrant ?? false,
    });
    await lock.start();
    locks.push(lock);
    return lock;
  }

  /** The lock's nodes as the leader has them (sync first: the checker's server may lag). */
  async function nodesOf(path: string): Promise<string[]> {
    await checker.sync(path);
    return (await checker.getChildren(path)).sort();
  }

  beforeAll(async () => {
    checker = await connect();
    await checker.ensurePath(root);
  });

  afterEach(async () => {
    await Promise.all(locks.splice(0).map((lock) => lock.close()));
    await Promise.all(clients.splice(1).map((client) => client.close()));
  });

  afterAll(async () => {
    await checker.deleteRecursive(root);
    await checker.close();
  });

  it('lets one holder in at a time, and fencing tokens grow with every holder', async () => {
    const path = `${root}/mutex`;
    const contenders = await Promise.all([1, 2, 3].map(() => lockOn(path)));
    let inside = 0;
    let overlaps = 0;
    const tokens: bigint[] = [];
    await Promise.all(
      contenders.map(async (lock) => {
        for (let round = 0; round < 15; round++) {
          const lease = await lock.acquire();
          inside += 1;
          if (inside > 1) overlaps += 1;
          tokens.push(lease.fencingToken);
          // A round trip while holding, so the others really run meanwhile.
          await checker.exists(path);
          inside -= 1;
          await lease.release();
        }
      }),
    );
    expect(overlaps).toBe(0);
    expect(tokens).toHaveLength(45);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
    expect(await nodesOf(path)).toEqual([]);
  });

  /**
   * Every request `client` is asked for from now on, in order (a listing asked for while a
   * create had no answer yet is marked so), and the requests answered, in order.
   */
  function recordRequests(client: ZkClient): { asked: string[]; answered: string[] } {
    const asked: string[] = [];
    const answered: string[] = [];
    let creating = 0;
    const names = ['createWithStat', 'getChildren', 'exists', 'getData', 'delete'] as const;
    for (const name of names) {
      const original = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        asked.push(
          name === 'getChildren' && creating > 0 ? 'getChildren (create unanswered)' : name,
        );
        const reply = original(...args);
        void reply.finally(() => answered.push(name)).catch(() => undefined);
        if (name === 'createWithStat') {
          creating++;
          void reply.finally(() => creating--).catch(() => undefined);
        }
        return reply;
      };
    }
    return { asked, answered };
  }

  it('takes a free lock in one round trip and gives it back in one more', async () => {
    const client = await connect();
    const path = `${root}/two-round-trips`;
    const lock = await lockOn(path, { client });
    await (await lock.acquire()).release(); // the first also makes the container node
    await waitFor('the first holder gone', async () => (await nodesOf(path)).length === 0);

    const { asked } = recordRequests(client);
    const lease = await lock.acquire();
    expect(asked).toEqual(['createWithStat', 'getChildren (create unanswered)']);
    // The create's Stat is the fencing token: the node's czxid, as any reader sees it.
    const [own] = await nodesOf(path);
    expect(lease.fencingToken).toBe((await checker.exists(`${path}/${own}`))!.czxid);
    await lease.release();
    expect(asked.slice(2)).toEqual(['delete']);
  });

  it('the waiter right behind the holder takes the lock on its delete, reading nothing more', async () => {
    const path = `${root}/hand-off`;
    const first = await lockOn(path);
    const held = await first.acquire();
    const client = await connect();
    const second = await lockOn(path, { client });
    const { asked, answered } = recordRequests(client);
    let acquired = false;
    const waiting = second.acquire().then((lease) => {
      acquired = true;
      return lease;
    });
    // Its watch of the holder is set once the getData after its listing is answered.
    await waitFor('the second to watch the holder', () => answered.includes('getData'));
    expect(acquired).toBe(false);
    await held.release();
    const lease = await waiting;
    // The lock node's exists (this instance's first use), one round trip to queue up (the
    // create and the listing), the watch of the holder (a getData: it leaves no watch on
    // a node already gone); then, on the holder's delete, nothing more before holding.
    expect(asked).toEqual([
      'exists',
      'createWithStat',
      'getChildren (create unanswered)',
      'getData',
    ]);
    const [own] = await nodesOf(path);
    expect(lease.fencingToken).toBe((await checker.exists(`${path}/${own}`))!.czxid);
    await lease.release();
  });

  it('serves waiters in the order they arrived', async () => {
    const path = `${root}/fifo`;
    const holder = await lockOn(path);
    const first = await holder.acquire();
    const order: number[] = [];
    const waiting: Promise<void>[] = [];
    for (let id = 1; id <= 4; id++) {
      const lock = await lockOn(path);
      waiting.push(
        lock.acquire().then(async (lease) => {
          order.push(id);
          await lease.release();
        }),
      );
      // The next waiter starts only once this one's node is in line.
      await waitFor(`waiter ${id} in line`, async () => (await nodesOf(path)).length === id + 1);
    }
    await first.release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('gives up at the timeout and leaves no node behind', async () => {
    const path = `${root}/timeout`;
    const holder = await lockOn(path);
    const held = await holder.acquire();
    const impatient = await lockOn(path);
    const started = Date.now();
    const error: unknown = await impatient.acquire({ timeoutMs: 500 }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(500 + MARGIN_MS);
    // close() waits for the abandoned node's deletion: only the holder's node is left.
    await impatient.close();
    expect(await nodesOf(path)).toEqual([held.node.slice(path.length + 1)]);
    // And nothing blocks the next contender once the holder releases.
    const next = await lockOn(path);
    const nextLease = next.acquire({ timeoutMs: 5_000 });
    await held.release();
    expect((await nextLease).held).toBe(true);
  });

  it('gives up when its signal aborts, and deletes its node', async () => {
    const path = `${root}/abort`;
    const holder = await lockOn(path);
    const held = await holder.acquire();
    const waiter = await lockOn(path);
    const controller = new AbortController();
    const acquiring = waiter.acquire({ signal: controller.signal });
    await waitFor('the waiter in line', async () => (await nodesOf(path)).length === 2);
    const reason = new Error('operator cancelled');
    controller.abort(reason);
    const error: unknown = await acquiring.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAbortedError);
    expect((error as LockAbortedError).cause).toBe(reason);
    // A second waiter queued behind the aborted one gets the lock straight from the holder.
    const next = await lockOn(path);
    const nextLease = next.acquire({ timeoutMs: 5_000 });
    await held.release();
    expect((await nextLease).held).toBe(true);
    await waiter.close();
    expect(await nodesOf(path)).toHaveLength(1);

    // An aborted signal fails at once, before any node is made.
    const already = AbortSignal.abort(new Error('too late'));
    await expect(waiter.acquire({ signal: already })).rejects.toBeInstanceOf(RecipeStateError);
    const fresh = await lockOn(path);
    await expect(fresh.acquire({ signal: already })).rejects.toBeInstanceOf(LockAbortedError);
    expect(await nodesOf(path)).toHaveLength(1);
  });

  it('is re-entrant when asked: the node goes with the last lease', async () => {
    const path = `${root}/reentrant`;
    const lock = await lockOn(path, { reentrant: true });
    const outer = await lock.acquire();
    const inner = await lock.acquire({ timeoutMs: 1_000 });
    expect(inner.node).toBe(outer.node);
    expect(inner.fencingToken).toBe(outer.fencingToken);
    await inner.release();
    await inner.release(); // idempotent: counts once
    expect(outer.held).toBe(true);
    expect(lock.isHeld).toBe(true);
    expect(await nodesOf(path)).toHaveLength(1);

    const other = await lockOn(path);
    const otherLease = other.acquire({ timeoutMs: 5_000 });
    await outer.release();
    expect(lock.isHeld).toBe(false);
    expect((await otherLease).fencingToken > outer.fencingToken).toBe(true);
  });

  it('is not re-entrant by default: a second acquire on one instance waits its turn', async () => {
    const path = `${root}/not-reentrant`;
    const lock = await lockOn(path);
    const first = await lock.acquire();
    await expect(lock.acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    const second = lock.acquire({ timeoutMs: 5_000 });
    await first.release();
    expect((await second).node).not.toBe(first.node);
  });

  it('releases at the end of an `await using` block', async () => {
    const path = `${root}/using`;
    const lock = await lockOn(path);
    let inside: boolean | undefined;
    {
      await using lease = await lock.acquire();
      inside = lease.held;
    }
    expect(inside).toBe(true);
    expect(lock.isHeld).toBe(false);
    expect(await nodesOf(path)).toEqual([]);
  });

  it('follows the lifecycle: start once, close idempotently, releasing and cancelling', async () => {
    const path = `${root}/lifecycle`;
    const lock = new DistributedLock(await connect(), path);
    locks.push(lock);
    expect(lock.state).toBe('LATENT');
    await expect(lock.acquire()).rejects.toBeInstanceOf(RecipeStateError);
    await lock.start();
    await expect(lock.start()).rejects.toThrow(RecipeStateError);
    const lease = await lock.acquire();

    const waiter = await lockOn(path);
    const waiting = waiter.acquire();
    await waitFor('the waiter in line', async () => (await nodesOf(path)).length === 2);
    await waiter.close();
    await expect(waiting).rejects.toBeInstanceOf(LockClosedError);

    const lost: unknown[] = [];
    lock.on('lost', (error) => lost.push(error));
    const closing = lock.close();
    expect(lock.close()).toBe(closing);
    await closing;
    expect(lock.state).toBe('CLOSED');
    expect(lease.held).toBe(false);
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    expect((lease.signal.reason as LockLostError).reason).toBe('RECIPE_CLOSED');
    expect(lost).toEqual([]); // closing the recipe is not a loss to announce
    expect(await nodesOf(path)).toEqual([]);
  });

  it("reentrant 'async-context': tasks sharing one instance exclude each other, and a task re-enters its own hold", async () => {
    const path = `${root}/per-task`;
    const shared = await lockOn(path, { reentrant: 'async-context' });
    let inside = 0;
    let overlaps = 0;
    const nodesWhileNested: number[] = [];
    await Promise.all(
      [1, 2, 3].map(() =>
        shared.runExclusive(async (outer) => {
          inside += 1;
          if (inside > 1) overlaps += 1;
          // Re-entered from within the task: the same node, no second place in the queue.
          const nested = await shared.acquire({ timeoutMs: 0 });
          expect(nested.node).toBe(outer.node);
          nodesWhileNested.push((await nodesOf(path)).length);
          await nested.release();
          await shared.runExclusive(() => checker.exists(path)); // nested, re-entered
          inside -= 1;
        }),
      ),
    );
    expect(overlaps).toBe(0);
    expect(nodesWhileNested[0]).toBeGreaterThanOrEqual(1);
    expect(await nodesOf(path)).toEqual([]);
    // Outside any task, an acquire contends like anyone's: held by a task, it is refused.
    let release: () => void = () => undefined;
    const holdingTask = shared.runExclusive(
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    await waitFor('the task to hold', () => shared.isHeld);
    await expect(shared.acquire({ timeoutMs: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    release();
    await holdingTask;
  });

  it('tells the holder its lease is lost when its client closes', async () => {
    const path = `${root}/client-closed`;
    const client = await connect();
    const lock = await lockOn(path, { client });
    const lease = await lock.acquire();
    const lost = new Promise<LockLostError>((resolve) => lock.once('lost', resolve));
    await client.close();
    const error = await lost;
    expect(error.reason).toBe('CLOSED');
    expect(error.fencingToken).toBe(lease.fencingToken);
    expect(lease.signal.aborted).toBe(true);
    expect(lease.held).toBe(false);
    await lease.release(); // still fine to call
    expect(await nodesOf(path)).toEqual([]);
  });
});

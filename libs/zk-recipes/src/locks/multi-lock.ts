import { EventEmitter } from 'node:events';
import { validatePath, type ZkClient } from '@zk-lab/zk-client';
import type { ConnectionPolicy } from '../common/connection-policy';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import { DistributedLock, type LockEvents } from './distributed-lock';
import { LockAbortedError, LockClosedError, LockLostError } from './errors';
import type { LockLease } from './lease';
import type { AcquireOptions } from './lock-internals';
import { MultiLockLease } from './multi-lease';

export interface MultiLockOptions {
  /** For the locks made from paths: when a held lease counts as lost (default 'standard'). */
  policy?: ConnectionPolicy;
}

/**
 * Several locks held all or none (Curator's InterProcessMultiLock). Its members are
 * DistributedLock instances, or paths it makes DistributedLocks for on its client.
 *
 * `acquire()` takes the members one by one in the order of their paths, whatever order
 * they were given in: two multi-locks over overlapping sets take their common locks in
 * the same order, so neither can hold one the other waits for while it waits for one the
 * other holds (no deadlock). If a member fails (timeout, abort, close, error), the members
 * already held are released before `acquire()` rejects with that member's error. The
 * timeout is for the whole: each member gets what is left of it (a member reached with
 * nothing left gets its one look, as a try-lock).
 *
 * Connection trouble is each member's, as its policy says: when one member's lease is
 * lost, the multi-lease is lost (its `signal` aborts with that LockLostError, 'lost' is
 * emitted) and the other members are released at once. A member lost while later ones
 * are still being acquired makes `acquire()` reject with its LockLostError, holding none.
 *
 * Lifecycle: LATENT → start() → STARTED → close() → CLOSED. start() starts the locks it
 * made; instances given to it are the caller's to start and close. close() rejects waiting
 * acquisitions with LockClosedError, releases held multi-leases (their signals abort with
 * reason 'RECIPE_CLOSED'), closes the locks it made, and is idempotent.
 */
export class MultiLock extends EventEmitter<LockEvents> {
  private readonly lifecycle = new Lifecycle('MultiLock');
  /** The members, sorted by path. */
  private readonly members: readonly DistributedLock[];
  /** The locks made from paths: started and closed with this one. */
  private readonly made: DistributedLock[] = [];
  private readonly closer = new AbortController();
  private readonly acquiring = new Set<Promise<unknown>>();
  private readonly held = new Set<MultiLockLease>();
  private closing: Promise<void> = Promise.resolve();

  constructor(
    client: ZkClient,
    members: readonly (DistributedLock | string)[],
    options: MultiLockOptions = {},
  ) {
    super();
    if (members.length === 0) throw new RangeError('a MultiLock needs at least one lock');
    const locks = members.map((member) => {
      if (typeof member !== 'string') return member;
      validatePath(member, { op: 'multiLock' });
      const made = new DistributedLock(client, member, { policy: options.policy ?? 'standard' });
      this.made.push(made);
      return made;
    });
    this.members = locks.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (let i = 1; i < this.members.length; i++) {
      const path = this.members[i]!.path;
      // A second member on one path would wait for the first, for ever.
      if (path === this.members[i - 1]!.path) throw new RangeError(`${path} is given twice`);
    }
  }

  /** The members' lock paths, in the order they are acquired. */
  get paths(): string[] {
    return this.members.map((member) => member.path);
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /**
   * LATENT → STARTED (async, as every recipe's start(): it reads nothing first and
   * resolves at once). Rejects with RecipeStateError when started before or closed.
   */
  async start(): Promise<void> {
    this.lifecycle.start();
    await Promise.all(this.made.map((lock) => lock.start()));
  }

  /**
   * Waits for every member, in path order. Rejects, holding none, with the error of the
   * member that failed (LockTimeoutError, LockAbortedError, LockLostError, a ZkError),
   * LockClosedError when this multi-lock closes meanwhile, or RecipeStateError unless
   * STARTED.
   */
  async acquire(options: AcquireOptions = {}): Promise<MultiLockLease> {
    this.lifecycle.assertStarted();
    const task = this.acquireAll(options);
    const tracked = task.catch(() => undefined).finally(() => this.acquiring.delete(tracked));
    this.acquiring.add(tracked);
    return task;
  }

  close(): Promise<void> {
    if (this.lifecycle.close()) this.closing = this.shutDown();
    return this.closing;
  }

  private async acquireAll(options: AcquireOptions): Promise<MultiLockLease> {
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      throw new RangeError(`timeoutMs must be 0 or more, got ${timeoutMs}`);
    }
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    // Given up on when the caller aborts, this closes, or a member already held is lost.
    const memberLost = new AbortController();
    const signals = [this.closer.signal, memberLost.signal];
    if (options.signal !== undefined) signals.push(options.signal);
    const signal = AbortSignal.any(signals);
    const leases: LockLease[] = [];
    const onLost = (event: Event): void => {
      memberLost.abort((event.target as AbortSignal).reason);
    };
    try {
      for (const member of this.members) {
        const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
        const lease = await member.acquire({ timeoutMs: left, signal });
        leases.push(lease);
        lease.signal.addEventListener('abort', onLost, { once: true });
      }
      // A member lost just as the last one came: nothing half held is returned.
      memberLost.signal.throwIfAborted();
    } catch (error) {
      for (const lease of leases.reverse()) await lease.release();
      if (this.closer.signal.aborted) throw new LockClosedError(this.paths.join(', '));
      if (error instanceof LockAbortedError && error.cause instanceof LockLostError) {
        throw error.cause;
      }
      throw error;
    } finally {
      for (const lease of leases) lease.signal.removeEventListener('abort', onLost);
    }
    const multi: MultiLockLease = new MultiLockLease(
      leases,
      (error) => safeEmit(this, 'MultiLock', 'lost', error),
      () => this.held.delete(multi),
    );
    if (multi.held) this.held.add(multi);
    return multi;
  }

  private async shutDown(): Promise<void> {
    this.closer.abort();
    while (this.acquiring.size > 0) await Promise.allSettled([...this.acquiring]);
    await Promise.all(
      [...this.held].map((multi) => {
        const first = multi.leases[0]!;
        const path = this.members[0]!.path;
        multi.lose(new LockLostError(path, first.node, first.fencingToken, 'RECIPE_CLOSED'));
        return multi.release();
      }),
    );
    await Promise.all(this.made.map((lock) => lock.close()));
  }
}

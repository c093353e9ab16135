import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { validatePath, type ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import type { ConnectionPolicy } from '../common/connection-policy';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import type { LockLostError } from './errors';
import { HeldLease, type Holding, type LockLease } from './lease';
import { MUTEX_DRIVER } from './lock-driver';
import { LockInternals, type AcquireOptions } from './lock-internals';
import { safeEmit } from '../common/safe-emit';

export interface DistributedLockOptions {
  /** When a held lock counts as lost: 'standard' (default) on SUSPENDED, 'session' on LOST. */
  policy?: ConnectionPolicy;
  /**
   * When true, `acquire()` on this instance while it holds the lock succeeds at once and
   * counts: the lock node goes when every lease is released. An acquisition started while
   * the instance does not hold yet is an ordinary contender. Default false: every
   * `acquire()` contends, so several tasks of one process can share one instance.
   *
   * `true` re-enters per instance, not per caller (review zk-recipes F10): while it holds,
   * ANY acquire() on it succeeds, whoever calls it. Never share such an instance between
   * tasks that must exclude each other (two request handlers).
   *
   * `'async-context'` re-enters per task, as Curator's mutex does per thread: only an
   * acquire() made inside `runExclusive(fn)` of the holder (in `fn`, or anything it awaits)
   * re-enters; any other contends, even on the same instance. Safe to share.
   */
  reentrant?: boolean | 'async-context';
}

export interface LockEvents {
  /** A held lease is no longer safe (its signal aborts with the same error). */
  lost: [error: LockLostError];
}

/**
 * A distributed mutex (Curator's InterProcessMutex, kazoo's Lock): at most one holder at
 * a time among every process that uses the same path, granted in arrival order (FIFO).
 * Each waiter watches only its predecessor's node, so a release wakes one waiter.
 *
 * ```ts
 * const lock = new DistributedLock(client, '/locks/report');
 * lock.start();
 * {
 *   await using lease = await lock.acquire({ timeoutMs: 5_000 });
 *   await writeReport({ fence: lease.fencingToken, signal: lease.signal });
 * } // released here
 * await lock.close();
 * ```
 *
 * Connection trouble, as `policy` says:
 * - SUSPENDED: under 'standard' (the default) every held lease is lost at once: its
 *   `signal` aborts and 'lost' is emitted, and its node is deleted as soon as the
 *   connection is back (if the session survived). Under 'session' leases stay held.
 *   Waiters keep their place either way, and no lease is granted under 'standard' until
 *   the connection is back.
 * - LOST: every held lease is lost (the ephemeral node is gone, so another process may
 *   hold the lock now). Waiters take a new place at the end of the queue in the new
 *   session.
 *
 * Lifecycle: LATENT → start() → STARTED → close() → CLOSED. close() rejects waiting
 * acquisitions with LockClosedError, releases held leases (their signals abort with
 * reason 'RECIPE_CLOSED'), and resolves once their nodes are deleted. Idempotent.
 */
export class DistributedLock extends EventEmitter<LockEvents> {
  private readonly lifecycle = new Lifecycle('DistributedLock');
  private readonly internals: LockInternals;
  private readonly reentrant: boolean | 'async-context';
  /** The holding of the runExclusive() the current async context runs in, if any. */
  private readonly context = new AsyncLocalStorage<Holding>();
  /** The holding re-entrant acquisitions join. */
  private owned: Holding | null = null;
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    options: DistributedLockOptions = {},
  ) {
    super();
    validatePath(path, { op: 'lock' });
    this.reentrant = options.reentrant ?? false;
    this.internals = new LockInternals({
      client,
      path,
      driver: MUTEX_DRIVER,
      policy: options.policy ?? 'standard',
      onLost: (error) => safeEmit(this, 'DistributedLock', 'lost', error),
    });
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** Whether this instance holds the lock now. */
  get isHeld(): boolean {
    return this.internals.holds;
  }

  /**
   * LATENT → STARTED (async, as every recipe's start(): it reads nothing first and
   * resolves at once). Rejects with RecipeStateError when started before or closed.
   */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.lifecycle.start();
      this.client.on('state', this.handleStateChange);
      resolve();
    });
  }

  /**
   * Waits for the lock; `{ timeoutMs: 0 }` is a try-lock (held if free, LockTimeoutError
   * if not). Rejects with LockTimeoutError or LockAbortedError when given up (our waiting
   * node is then deleted), LockClosedError when the recipe closes meanwhile,
   * RecipeStateError unless STARTED, or a ZkError the lock cannot get past (NoAuthError).
   */
  async acquire(options: AcquireOptions = {}): Promise<LockLease> {
    return this.lease(await this.obtain(options));
  }

  /**
   * Runs `fn` holding the lock, and releases it when `fn` settles (its result or error is
   * runExclusive's). Waits and rejects as acquire(). Under `reentrant: 'async-context'`,
   * acquire() and runExclusive() called from within `fn` re-enter.
   */
  async runExclusive<T>(
    fn: (lease: LockLease) => Promise<T> | T,
    options: AcquireOptions = {},
  ): Promise<T> {
    const holding = await this.obtain(options);
    const lease = this.lease(holding);
    try {
      return await this.context.run(holding, () => fn(lease));
    } finally {
      await lease.release();
    }
  }

  /** A holding to lease: the one to re-enter, or a new one. */
  private async obtain(options: AcquireOptions): Promise<Holding> {
    this.lifecycle.assertStarted();
    if (this.reentrant === 'async-context') {
      const mine = this.context.getStore();
      if (mine !== undefined && mine.deletion === null && !mine.lost) return mine;
      return this.internals.acquire(options);
    }
    if (this.reentrant && this.owned !== null && this.owned.deletion === null) {
      return this.owned;
    }
    const holding = await this.internals.acquire(options);
    if (this.reentrant) this.owned = holding;
    return holding;
  }

  close(): Promise<void> {
    if (this.lifecycle.close()) {
      this.client.off('state', this.handleStateChange);
      this.closing = this.internals.close();
    }
    return this.closing;
  }

  private lease(holding: Holding): LockLease {
    holding.leases += 1;
    return new HeldLease(holding, () => {
      holding.leases -= 1;
      if (holding.leases > 0 && !holding.lost) return Promise.resolve();
      if (this.owned === holding) this.owned = null;
      return this.internals.release(holding);
    });
  }

  private readonly handleStateChange = (event: ZkStateEvent): void => {
    this.internals.handleStateChange(event);
  };
}

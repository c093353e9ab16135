import { EventEmitter } from 'node:events';
import { validatePath, type ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import type { ConnectionPolicy } from '../common/connection-policy';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import type { LockEvents } from './distributed-lock';
import { HeldLease, type LockLease } from './lease';
import { semaphoreDriver } from './lock-driver';
import { LockInternals, type AcquireOptions } from './lock-internals';
import { safeEmit } from '../common/safe-emit';

export interface SemaphoreOptions {
  /** How many leases may be held at once, across every process. All must agree on it. */
  maxLeases: number;
  /** When a held lease counts as lost: 'standard' (default) on SUSPENDED, 'session' on LOST. */
  policy?: ConnectionPolicy;
}

/**
 * A distributed counting semaphore: at most `maxLeases` leases held at once among every
 * process that uses the same path, granted in arrival order (FIFO). It is the lock loop
 * with "among the first N" as its rule; a waiter watches the N nodes right before its own
 * (each release wakes at most N waiters, never the whole queue).
 *
 * Every participant must use the same `maxLeases`: nothing checks it.
 *
 * Connection trouble, as `policy` says:
 * - SUSPENDED: under 'standard' (the default) every held lease is lost at once (its
 *   `signal` aborts, 'lost' is emitted) and its node deleted once the connection is back.
 *   Under 'session' leases stay held. Waiters keep their place.
 * - LOST: every held lease is lost; waiters take a new place in the new session.
 *
 * Lifecycle: LATENT → start() → STARTED → close() → CLOSED. close() rejects waiting
 * acquisitions with LockClosedError, releases held leases, and is idempotent.
 */
export class Semaphore extends EventEmitter<LockEvents> {
  private readonly lifecycle = new Lifecycle('Semaphore');
  private readonly internals: LockInternals;
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    options: SemaphoreOptions,
  ) {
    super();
    validatePath(path, { op: 'semaphore' });
    if (!Number.isInteger(options.maxLeases) || options.maxLeases < 1) {
      throw new RangeError(`maxLeases must be a positive integer, got ${options.maxLeases}`);
    }
    this.internals = new LockInternals({
      client,
      path,
      driver: semaphoreDriver(options.maxLeases, 'lease-'),
      policy: options.policy ?? 'standard',
      onLost: (error) => safeEmit(this, 'Semaphore', 'lost', error),
    });
  }

  get state(): RecipeState {
    return this.lifecycle.state;
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
   * Waits for a lease. Rejects as DistributedLock.acquire does (LockTimeoutError,
   * LockAbortedError, LockClosedError, RecipeStateError).
   */
  async acquire(options: AcquireOptions = {}): Promise<LockLease> {
    this.lifecycle.assertStarted();
    const holding = await this.internals.acquire(options);
    holding.leases = 1;
    return new HeldLease(holding, () => this.internals.release(holding));
  }

  close(): Promise<void> {
    if (this.lifecycle.close()) {
      this.client.off('state', this.handleStateChange);
      this.closing = this.internals.close();
    }
    return this.closing;
  }

  private readonly handleStateChange = (event: ZkStateEvent): void => {
    this.internals.handleStateChange(event);
  };
}

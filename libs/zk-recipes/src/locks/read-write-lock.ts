import { EventEmitter } from 'node:events';
import { validatePath, type ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import type { ConnectionPolicy } from '../common/connection-policy';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import type { LockEvents } from './distributed-lock';
import type { LockLostError } from './errors';
import { HeldLease, type LockLease } from './lease';
import { READ_DRIVER, WRITE_DRIVER } from './lock-driver';
import { LockInternals, type AcquireOptions } from './lock-internals';
import { safeEmit } from '../common/safe-emit';

export interface ReadWriteLockOptions {
  /** When a held lease counts as lost: 'standard' (default) on SUSPENDED, 'session' on LOST. */
  policy?: ConnectionPolicy;
}

/**
 * A distributed read/write lock (Curator's InterProcessReadWriteLock, kazoo's ReadLock and
 * WriteLock): many readers or one writer at a time, in arrival order. A reader waits only
 * for writers that came before it (it watches the last one); a writer waits for everyone
 * before it (it watches its predecessor). So a waiting writer is not starved by readers
 * that come after it. Node names are Curator's (`__READ__`, `__WRIT__`).
 *
 * No re-entrancy and no downgrade: a writer that asks for a read lease on the same path
 * waits behind its own write node until it releases that.
 *
 * Connection trouble, as `policy` says:
 * - SUSPENDED: under 'standard' (the default) every held lease, read or write, is lost at
 *   once (its `signal` aborts, 'lost' is emitted) and its node deleted once the connection
 *   is back. Under 'session' leases stay held. Waiters keep their place.
 * - LOST: every held lease is lost; waiters take a new place in the new session.
 *
 * Lifecycle: LATENT → start() → STARTED → close() → CLOSED. close() rejects waiting
 * acquisitions with LockClosedError, releases held leases, and is idempotent.
 */
export class ReadWriteLock extends EventEmitter<LockEvents> {
  private readonly lifecycle = new Lifecycle('ReadWriteLock');
  private readonly readers: LockInternals;
  private readonly writers: LockInternals;
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    options: ReadWriteLockOptions = {},
  ) {
    super();
    validatePath(path, { op: 'readWriteLock' });
    const policy = options.policy ?? 'standard';
    const onLost = (error: LockLostError): void => {
      safeEmit(this, 'ReadWriteLock', 'lost', error);
    };
    this.readers = new LockInternals({ client, path, driver: READ_DRIVER, policy, onLost });
    this.writers = new LockInternals({ client, path, driver: WRITE_DRIVER, policy, onLost });
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

  /** Waits for a read lease (shared with other readers). Rejects as DistributedLock.acquire. */
  acquireRead(options: AcquireOptions = {}): Promise<LockLease> {
    return this.acquire(this.readers, options);
  }

  /** Waits for the write lease (exclusive). Rejects as DistributedLock.acquire. */
  acquireWrite(options: AcquireOptions = {}): Promise<LockLease> {
    return this.acquire(this.writers, options);
  }

  close(): Promise<void> {
    if (this.lifecycle.close()) {
      this.client.off('state', this.handleStateChange);
      this.closing = Promise.all([this.readers.close(), this.writers.close()]).then(() => {});
    }
    return this.closing;
  }

  private async acquire(side: LockInternals, options: AcquireOptions): Promise<LockLease> {
    this.lifecycle.assertStarted();
    const holding = await side.acquire(options);
    holding.leases = 1;
    return new HeldLease(holding, () => side.release(holding));
  }

  private readonly handleStateChange = (event: ZkStateEvent): void => {
    this.readers.handleStateChange(event);
    this.writers.handleStateChange(event);
  };
}

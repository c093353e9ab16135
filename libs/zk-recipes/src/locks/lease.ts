import type { LockLostError } from './errors';

/**
 * What `acquire()` gives: proof of holding a lock (or one of a semaphore's leases) until
 * `release()`, or until `signal` aborts because the connection policy says it is no longer
 * safe. Works with `await using`.
 */
export interface LockLease extends AsyncDisposable {
  /** The lock node that backs the lease (a re-entrant lock's leases share one). */
  readonly node: string;
  /**
   * A fencing token: the czxid (creation zxid) of the lock node. Holders of one lock hold
   * in the order their nodes were created, and zxids only grow in an ensemble (across
   * leader changes, and even when the lock's parent node is deleted and made again, which
   * would restart sequence numbers), so every later holder has a larger token. Pass it
   * with writes to outside systems and have them refuse smaller tokens.
   */
  readonly fencingToken: bigint;
  /** Aborted, with a LockLostError as reason, when the lease is lost. */
  readonly signal: AbortSignal;
  /** True until released or lost. */
  readonly held: boolean;
  /**
   * Gives the lease back: deletes the lock node (when no other re-entrant lease shares it)
   * and resolves once it is gone. Idempotent; resolves also for a lost lease.
   */
  release(): Promise<void>;
}

/** A lock node we hold, shared by the re-entrant leases on it. Internal to the family. */
export class Holding {
  private readonly controller = new AbortController();
  /** Set once the node is being deleted (released or lost). */
  deletion: Promise<void> | null = null;
  /** Leases not yet released on this node (re-entrancy). */
  leases = 0;

  constructor(
    readonly node: string,
    readonly fencingToken: bigint,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  lose(error: LockLostError): void {
    this.controller.abort(error);
  }
}

/** One lease on a Holding. Internal to the family. */
export class HeldLease implements LockLease {
  private releasing: Promise<void> | null = null;

  constructor(
    private readonly holding: Holding,
    private readonly giveBack: () => Promise<void>,
  ) {}

  get node(): string {
    return this.holding.node;
  }

  get fencingToken(): bigint {
    return this.holding.fencingToken;
  }

  get signal(): AbortSignal {
    return this.holding.signal;
  }

  get held(): boolean {
    return this.releasing === null && !this.holding.lost && this.holding.deletion === null;
  }

  release(): Promise<void> {
    this.releasing ??= this.giveBack();
    return this.releasing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

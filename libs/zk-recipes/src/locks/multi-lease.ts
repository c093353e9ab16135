import type { LockLostError } from './errors';
import type { LockLease } from './lease';

/**
 * What `MultiLock.acquire()` gives: every member's lease, held together until `release()`,
 * or until one member's lease is lost; then `signal` aborts with that member's
 * LockLostError and the other members are given back at once (a multi-lease half held is
 * of no use to anyone, and must not block the others). Works with `await using`.
 */
export class MultiLockLease implements AsyncDisposable {
  private readonly controller = new AbortController();
  private releasing: Promise<void> | null = null;

  constructor(
    /** The members' leases, in acquisition order (sorted by lock path). */
    readonly leases: readonly LockLease[],
    /** Told once when a member's lease is lost to the connection (not to a recipe close). */
    private readonly onLost: (error: LockLostError) => void,
    /** Told once every member's lease has been given back. */
    private readonly onReleased: () => void,
  ) {
    for (const lease of leases) {
      if (lease.signal.aborted) this.lose(lease.signal.reason as LockLostError);
      else {
        const onAbort = (): void => this.lose(lease.signal.reason as LockLostError);
        lease.signal.addEventListener('abort', onAbort, { once: true });
      }
    }
  }

  /** Aborted, with the first lost member's LockLostError as reason, when one is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True until released or lost. */
  get held(): boolean {
    return this.releasing === null && !this.controller.signal.aborted;
  }

  /**
   * Gives every member's lease back (all at once: one round trip); resolves once all are,
   * or rejects with the first failure once every release has settled. Idempotent.
   */
  release(): Promise<void> {
    this.releasing ??= Promise.allSettled(this.leases.map((lease) => lease.release()))
      .then((results) => {
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      })
      .finally(this.onReleased);
    return this.releasing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** A member's lease is lost (or `error` is the close of the multi-lock): so is this one. */
  lose(error: LockLostError): void {
    if (this.controller.signal.aborted || this.releasing !== null) return;
    this.controller.abort(error);
    if (error.reason !== 'RECIPE_CLOSED') this.onLost(error);
    void this.release();
  }
}

/**
 * Barrier: a gate that holds every waiter while its node exists (Curator's
 * DistributedBarrier, kazoo's Barrier).
 *
 * `setBarrier()` creates the node, `removeBarrier()` deletes it, and `waitOnBarrier()`
 * returns once the node is gone. A waiter sets an exists watch and checks in the same
 * read, so a removal between the check and the watch cannot be missed.
 *
 * Connection states: the barrier holds nothing of its own (its node is persistent), so it
 * takes no ConnectionPolicy.
 * - SUSPENDED: a wait goes on; the client restores the watch on reconnect and the server
 *   then reports a removal made meanwhile.
 * - LOST: the watch ends with an Expired event; the waiter checks again in the new
 *   session and sets a new watch. The node is persistent, so the barrier is unchanged.
 * - close(): waits under way reject with RecipeClosedError (a RecipeStateError).
 */
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { deadlineOf, isConnectionTrouble, joinSignals, Wakeup } from '../common/wakeup';
import type { BarrierWaitOptions } from './wait-options';
import { RecipeClosedError } from '../common/errors';

export class Barrier {
  private readonly lifecycle = new Lifecycle('Barrier');
  private readonly closed = new AbortController();

  constructor(
    private readonly client: ZkClient,
    /** The barrier's node: it exists while the barrier is set. */
    readonly path: string,
  ) {}

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** LATENT → STARTED; rejects with RecipeStateError when started before or closed. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.lifecycle.start();
      resolve();
    });
  }

  /** Sets the barrier (creates its node and any missing parent). Setting it twice is fine. */
  async setBarrier(): Promise<void> {
    this.lifecycle.assertStarted();
    await this.client.ensurePath(this.path);
  }

  /** Removes the barrier, releasing every waiter. Removing a barrier that is not set is fine. */
  async removeBarrier(): Promise<void> {
    this.lifecycle.assertStarted();
    try {
      await this.client.delete(this.path);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  /**
   * Resolves true once the barrier is not set (at once if it is not), false when
   * `timeoutMs` passes first. Rejects with the signal's reason when aborted, and with
   * RecipeClosedError when the barrier is closed meanwhile.
   */
  async waitOnBarrier(options: BarrierWaitOptions = {}): Promise<boolean> {
    this.lifecycle.assertStarted();
    const deadline = deadlineOf(options.timeoutMs);
    const signal = joinSignals(this.closed.signal, options.signal);
    for (;;) {
      signal.throwIfAborted();
      const removed = new Wakeup();
      let stat;
      try {
        // Any event (NodeDeleted, or None/Expired when the session is lost) means: look again.
        stat = await this.client.exists(this.path, { watch: removed.fire });
      } catch (error) {
        if (!isConnectionTrouble(error)) throw error;
        if (deadline !== undefined && Date.now() >= deadline) return false;
        continue;
      }
      if (stat === null) return true;
      if (!(await removed.wait(deadline, signal))) return false;
    }
  }

  /** Ends the recipe: waits under way reject with RecipeClosedError (a RecipeStateError). Idempotent. */
  close(): Promise<void> {
    if (this.lifecycle.close()) {
      this.closed.abort(new RecipeClosedError('Barrier was closed while waiting'));
    }
    return Promise.resolve();
  }
}

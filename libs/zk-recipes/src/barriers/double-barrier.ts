/**
 * DoubleBarrier: `memberCount` participants enter together and leave together (Curator's
 * DistributedDoubleBarrier, kazoo's DoubleBarrier, the ZooKeeper recipes page).
 *
 * Layout under `path`: one EPHEMERAL node per participant (its id) and a persistent `ready`
 * node.
 * - enter(): create our node; if `ready` exists, we are in; otherwise count the
 *   participants, and the one that sees `memberCount` creates `ready` in a transaction
 *   that also checks every participant it counted still exists. Until then, wait on an
 *   exists watch of `ready`. A participant that gives up (timeout, abort) removes its node
 *   in a transaction that asserts `ready` is absent, so either it was counted and its
 *   enter() resolves true, or it was not and nobody counted it: `enter()` resolves true
 *   exactly when this participant was among those that opened the barrier.
 * - leave(): kazoo's and Curator's algorithm. The lowest participant waits for the highest
 *   to go, and leaves last; every other one deletes its node and waits for the lowest to
 *   go. When no participant is left, `ready` is deleted, so the path serves a next round
 *   once every participant of this one has left (one round at a time).
 *
 * Connection states (the participant node is the only thing held; no ConnectionPolicy, as
 * the barrier cannot stop anyone from acting):
 * - SUSPENDED: waits go on; the watches are restored on reconnect and report what changed.
 * - LOST: the participant node is gone with the session. While entering, it is created
 *   again in the new session and the wait goes on. Once inside, the others stop counting
 *   this participant, so they may leave before it; its own leave() then waits only for
 *   those still there.
 * - close(): waits under way reject with RecipeStateError, and the participant node is
 *   removed.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateMode,
  MultiError,
  NodeExistsError,
  NoNodeError,
  type ZkClient,
} from '@zk-lab/zk-client';
import { Lifecycle, RecipeStateError, type RecipeState } from '../common/lifecycle';
import {
  abortReason,
  deadlineOf,
  isConnectionTrouble,
  joinSignals,
  Wakeup,
} from '../common/wakeup';
import type { BarrierWaitOptions } from './wait-options';

/** Where this participant stands. enter() goes OUTSIDE → ENTERING → INSIDE; leave() back. */
export type DoubleBarrierPhase = 'OUTSIDE' | 'ENTERING' | 'INSIDE' | 'LEAVING';

/** enter() or leave() was called in a phase that does not allow it. */
export class DoubleBarrierPhaseError extends Error {
  override readonly name = 'DoubleBarrierPhaseError';
}

export interface DoubleBarrierOptions {
  /** This participant's node name, unique among the participants. Default: a random UUID. */
  id?: string;
  /** Data of the participant node (e.g. who it is). Default: empty. */
  data?: Buffer | string;
}

const READY = 'ready';

export class DoubleBarrier {
  private readonly lifecycle = new Lifecycle('DoubleBarrier');
  private readonly closed = new AbortController();
  private current: DoubleBarrierPhase = 'OUTSIDE';
  readonly id: string;
  private readonly data: Buffer | string;
  private readonly ourPath: string;
  private readonly readyPath: string;

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    readonly memberCount: number,
    options: DoubleBarrierOptions = {},
  ) {
    if (!Number.isInteger(memberCount) || memberCount < 1) {
      throw new RangeError(`memberCount must be an integer >= 1, got ${memberCount}`);
    }
    this.id = options.id ?? randomUUID();
    if (this.id === READY || this.id.includes('/') || this.id === '') {
      throw new RangeError(`a participant id cannot be "${this.id}"`);
    }
    this.data = options.data ?? '';
    this.ourPath = `${path}/${this.id}`;
    this.readyPath = `${path}/${READY}`;
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  get phase(): DoubleBarrierPhase {
    return this.current;
  }

  /** LATENT → STARTED; rejects with RecipeStateError when started before or closed. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.lifecycle.start();
      resolve();
    });
  }

  /**
   * Joins the barrier and resolves true once `memberCount` participants (this one among
   * them) are there. Resolves false when `timeoutMs` passes first; this participant is then
   * withdrawn and was counted by nobody. Rejects with the signal's reason when aborted
   * (withdrawn the same way), unless the barrier opened with this participant counted
   * before the withdrawal: then it resolves true.
   */
  async enter(options: BarrierWaitOptions = {}): Promise<boolean> {
    this.lifecycle.assertStarted();
    if (this.current !== 'OUTSIDE') {
      throw new DoubleBarrierPhaseError(`enter() needs phase OUTSIDE, it is ${this.current}`);
    }
    const deadline = deadlineOf(options.timeoutMs);
    const signal = joinSignals(this.closed.signal, options.signal);
    this.current = 'ENTERING';
    let entered = false;
    try {
      await this.client.ensurePath(this.path);
      await this.createOurNode();
      for (;;) {
        signal.throwIfAborted();
        const readyCreated = new Wakeup();
        try {
          if ((await this.client.exists(this.readyPath, { watch: readyCreated.fire })) !== null) {
            entered = true;
            return true;
          }
          const participants = await this.participants();
          if (!participants.includes(this.id)) {
            // A new session after LOST (or a create lost with the connection): join again.
            await this.createOurNode();
            continue;
          }
          if (participants.length >= this.memberCount) {
            if (await this.openBarrier(participants)) {
              entered = true;
              return true;
            }
            continue; // one of them left meanwhile: count again
          }
        } catch (error) {
          if (!isConnectionTrouble(error)) throw error;
          if (deadline !== undefined && Date.now() >= deadline) break;
          continue;
        }
        if (!(await readyCreated.wait(deadline, signal))) break;
      }
      // The deadline passed: withdraw, unless we were counted meanwhile.
      entered = await this.withdraw();
      return entered;
    } catch (error) {
      if (signal.aborted && this.lifecycle.state !== 'CLOSED') {
        entered = await this.withdraw();
        if (entered) return true;
        throw abortReason(signal);
      }
      throw error;
    } finally {
      this.current = entered ? 'INSIDE' : 'OUTSIDE';
    }
  }

  /**
   * Leaves the barrier and resolves true once every participant has left. Resolves false
   * when `timeoutMs` passes first (call leave() again to go on waiting); rejects with the
   * signal's reason when aborted. Callable INSIDE, or LEAVING after such a timeout.
   */
  async leave(options: BarrierWaitOptions = {}): Promise<boolean> {
    this.lifecycle.assertStarted();
    if (this.current !== 'INSIDE' && this.current !== 'LEAVING') {
      throw new DoubleBarrierPhaseError(`leave() needs phase INSIDE, it is ${this.current}`);
    }
    const deadline = deadlineOf(options.timeoutMs);
    const signal = joinSignals(this.closed.signal, options.signal);
    this.current = 'LEAVING';
    for (;;) {
      signal.throwIfAborted();
      const gone = new Wakeup();
      try {
        const participants = (await this.participants()).sort();
        const ours = participants.includes(this.id);
        if (participants.length === 0 || (ours && participants.length === 1)) {
          if (ours) await this.deleteIgnoringAbsence(this.ourPath);
          // The last one out reopens the path for a next round.
          await this.deleteIgnoringAbsence(this.readyPath);
          this.current = 'OUTSIDE';
          return true;
        }
        let awaited: string;
        if (ours && participants[0] === this.id) {
          // Lowest: leave last, so wait for the highest to go.
          awaited = participants[participants.length - 1]!;
        } else {
          if (ours) await this.deleteIgnoringAbsence(this.ourPath);
          awaited = participants[0]!;
        }
        if ((await this.client.exists(`${this.path}/${awaited}`, { watch: gone.fire })) === null) {
          continue;
        }
      } catch (error) {
        if (!isConnectionTrouble(error)) throw error;
        if (deadline !== undefined && Date.now() >= deadline) return false;
        continue;
      }
      if (!(await gone.wait(deadline, signal))) return false;
    }
  }

  /**
   * Ends the recipe: waits under way reject with RecipeStateError and this participant's
   * node is removed (best effort: it goes with the session anyway). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.closed.abort(new RecipeStateError('DoubleBarrier was closed while waiting'));
    if (this.current !== 'OUTSIDE') {
      await this.deleteIgnoringAbsence(this.ourPath).catch(() => undefined);
    }
  }

  /** The participants' names (not `ready`), in no particular order. */
  private async participants(): Promise<string[]> {
    const children = await this.client.getChildren(this.path);
    return children.filter((name) => name !== READY);
  }

  private async createOurNode(): Promise<void> {
    try {
      await this.client.create(this.ourPath, this.data, { mode: CreateMode.EPHEMERAL });
    } catch (error) {
      // Ours already: an earlier create of this session that the connection loss hid.
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }

  /**
   * Creates `ready` if every participant counted is still there; false when one left
   * meanwhile (count again). Another participant's `ready` counts as success.
   */
  private async openBarrier(participants: readonly string[]): Promise<boolean> {
    const transaction = this.client.multi();
    for (const name of participants) transaction.check(`${this.path}/${name}`, -1);
    transaction.create(this.readyPath);
    try {
      await transaction.commit();
      return true;
    } catch (error) {
      if (error instanceof MultiError) {
        if (error.opError instanceof NodeExistsError) return true;
        if (error.opError instanceof NoNodeError) return false;
      }
      throw error;
    }
  }

  /**
   * Removes our node while asserting `ready` does not exist (it is created and deleted in
   * the same transaction: the create fails if it exists). Returns true when `ready` exists:
   * we were counted, so we stay.
   */
  private async withdraw(): Promise<boolean> {
    for (;;) {
      try {
        await this.client
          .multi()
          .create(this.readyPath)
          .delete(this.readyPath)
          .delete(this.ourPath)
          .commit();
        return false;
      } catch (error) {
        if (error instanceof MultiError) {
          if (error.index === 0 && error.opError instanceof NodeExistsError) return true;
          // Our node is gone already (LOST): counted only if `ready` was made while it lived.
          if (error.index === 2 && error.opError instanceof NoNodeError) {
            return (await this.client.exists(this.readyPath)) !== null;
          }
        }
        if (!isConnectionTrouble(error)) throw error;
        // Unknown whether it applied: if our node is gone, it did (or the session did).
        if ((await this.client.exists(this.ourPath)) === null) {
          return (await this.client.exists(this.readyPath)) !== null;
        }
      }
    }
  }

  private async deleteIgnoringAbsence(path: string): Promise<void> {
    try {
      await this.client.delete(path);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
}

/**
 * DoubleBarrier: `memberCount` participants enter together and leave together (Curator's
 * DistributedDoubleBarrier, kazoo's DoubleBarrier, the ZooKeeper recipes page).
 *
 * Layout under `path`: one EPHEMERAL node per participant (its id) and a persistent `ready`
 * node. One `ready` node is one round: the round is open while it exists, and it is known by
 * its czxid (a next round's `ready` is another node).
 * - enter(): create our node; if `ready` exists, we are in; otherwise count the
 *   participants, and the one that sees `memberCount` creates `ready` in a transaction
 *   that also checks every participant it counted still exists. Until then, wait on an
 *   exists watch of `ready`. A participant that gives up (timeout, abort) removes its node
 *   in a transaction that asserts `ready` is absent, so it is either in the round or was
 *   counted by nobody. A participant that arrives while `ready` exists is in that round
 *   although nobody counted it (a late arrival): `enter()` resolves true, and the others'
 *   leave() waits for it as for any member of the round.
 * - leave(): kazoo's and Curator's algorithm. The lowest participant waits for the highest
 *   to go, and leaves last, deleting its node and `ready` in one transaction; every other
 *   one deletes its node and waits for the lowest to go. When the lowest goes without that
 *   (its session ended), the others find nobody left and delete `ready` in a transaction
 *   that checks the version of the barrier node: every opening bumps it (keeping its data),
 *   so this never deletes a next round's `ready`. Every look ends by checking that
 *   the round's `ready` (by czxid) is still there: a next round's node can only be made
 *   once it is gone, so what the look saw is of this round, and once it is gone everyone
 *   of this round has left. So a participant that re-enters at once cannot hold up one
 *   still leaving (one round at a time).
 *
 * Connection states (the participant node is the only thing held; no ConnectionPolicy, as
 * the barrier cannot stop anyone from acting):
 * - SUSPENDED: waits go on; the watches are restored on reconnect and report what changed.
 * - LOST: the participant node is gone with the session. While entering, it is created
 *   again in the new session and the wait goes on. Once inside, the others stop counting
 *   this participant, so they may leave before it; its own leave() then waits only for
 *   those still there, and not at all once the round's `ready` is gone.
 * - close(): waits under way reject with RecipeClosedError (a RecipeStateError), and the participant node is
 *   removed.
 */
import { randomUUID } from 'node:crypto';
import {
  BadVersionError,
  CreateMode,
  MultiError,
  NodeExistsError,
  NoNodeError,
  type Stat,
  type ZkClient,
} from '@zk-lab/zk-client';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import {
  abortReason,
  deadlineOf,
  isConnectionTrouble,
  joinSignals,
  Wakeup,
} from '../common/wakeup';
import type { BarrierWaitOptions } from './wait-options';
import { RecipeClosedError } from '../common/errors';

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
  /** The czxid of the `ready` node of the round this participant entered, while in it. */
  private round: bigint | null = null;
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
   * them) are there, or at once when the barrier is open already (a late arrival joins the
   * round under way). Resolves false when `timeoutMs` passes first; this participant is then
   * withdrawn and was counted by nobody. Rejects with the signal's reason when aborted
   * (withdrawn the same way), unless the barrier opened with this participant in it before
   * the withdrawal: then it resolves true.
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
          const ready = await this.client.exists(this.readyPath, { watch: readyCreated.fire });
          if (ready !== null) {
            this.round = ready.czxid;
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
            // Opened (by us or another), or one of them left meanwhile: look again.
            await this.openBarrier(participants);
            continue;
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
   * Leaves the barrier and resolves true once every participant of this round has left
   * (participants of a next round are not waited for). Resolves false when `timeoutMs`
   * passes first (call leave() again to go on waiting); rejects with the signal's reason
   * when aborted. Callable INSIDE, or LEAVING after such a timeout.
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
        if (ours && participants.length === 1) {
          if (await this.leaveLast()) return this.left();
          continue;
        }
        let awaited: Stat | null = null;
        let barrier: Stat | null = null;
        if (participants.length === 0) {
          barrier = await this.client.exists(this.path);
        } else {
          let name: string;
          if (ours && participants[0] === this.id) {
            // Lowest: leave last, so wait for the highest to go.
            name = participants[participants.length - 1]!;
          } else {
            if (ours) await this.deleteIgnoringAbsence(this.ourPath);
            name = participants[0]!;
          }
          awaited = await this.client.exists(`${this.path}/${name}`, { watch: gone.fire });
        }
        // Checked after the reads above: while our round's `ready` is there, no node of a
        // next round can exist and no round can open, so they saw only this round.
        if (!(await this.roundGoesOn())) {
          // Everyone of the round has left (our node is gone before `ready` is).
          if (ours) await this.deleteIgnoringAbsence(this.ourPath);
          return this.left();
        }
        if (participants.length === 0) {
          // The last one went without ending the round (its session ended, or it was
          // closed): end it for everyone, unless a next round opened meanwhile.
          if (barrier !== null && (await this.endAbandonedRound(barrier))) return this.left();
          continue;
        }
        if (awaited === null) continue;
      } catch (error) {
        if (!isConnectionTrouble(error)) throw error;
        if (deadline !== undefined && Date.now() >= deadline) return false;
        continue;
      }
      if (!(await gone.wait(deadline, signal))) return false;
    }
  }

  /**
   * Ends the recipe: waits under way reject with RecipeClosedError (a RecipeStateError) and this participant's
   * node is removed (best effort: it goes with the session anyway). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.closed.abort(new RecipeClosedError('DoubleBarrier was closed while waiting'));
    if (this.current !== 'OUTSIDE') {
      await this.deleteIgnoringAbsence(this.ourPath).catch(() => undefined);
    }
  }

  /** The participants' names (not `ready`), in no particular order. */
  private async participants(): Promise<string[]> {
    const children = await this.client.getChildren(this.path);
    return children.filter((name) => name !== READY);
  }

  /** Whether the `ready` node of our round is still there (the round goes on). */
  private async roundGoesOn(): Promise<boolean> {
    const ready = await this.client.exists(this.readyPath);
    return ready !== null && ready.czxid === this.round;
  }

  /**
   * Notes the round of the `ready` node there now, if any; true when there is one. Used
   * where our node exists, so it is the round we are in.
   */
  private async noteRound(): Promise<boolean> {
    const ready = await this.client.exists(this.readyPath);
    this.round = ready?.czxid ?? null;
    return ready !== null;
  }

  /**
   * Deletes our round's `ready` while the barrier node has the version `barrier`, read while
   * the round was still open: every opening bumps it, so a next round's `ready` is never
   * deleted. True when the round is over (ended here or by another); false to look again.
   */
  private async endAbandonedRound(barrier: Stat): Promise<boolean> {
    try {
      await this.client.multi().check(this.path, barrier.version).delete(this.readyPath).commit();
      return true;
    } catch (error) {
      if (!(error instanceof MultiError)) throw error;
      if (error.opError instanceof NoNodeError) return true;
      if (error.opError instanceof BadVersionError) return false;
      throw error;
    }
  }

  /**
   * The last participant of the round goes: deletes its node and `ready` at once, so the
   * round ends exactly when its last node goes. True when we are out; false when our node
   * is gone already (look again).
   */
  private async leaveLast(): Promise<boolean> {
    try {
      await this.client.multi().delete(this.ourPath).delete(this.readyPath).commit();
      return true;
    } catch (error) {
      if (!(error instanceof MultiError && error.opError instanceof NoNodeError)) throw error;
      if (error.index === 0) return false;
      // The round was ended already (for an absent participant, before we arrived late).
      await this.deleteIgnoringAbsence(this.ourPath);
      return true;
    }
  }

  private left(): true {
    this.current = 'OUTSIDE';
    this.round = null;
    return true;
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
   * Opens a round: creates `ready` if every participant counted is still there, and bumps
   * the barrier node's version in the same transaction (its data is kept), so that a round
   * is ended for an absent participant only while no next one has opened. Does nothing when
   * one left meanwhile or another participant opened first: the caller looks again.
   */
  private async openBarrier(participants: readonly string[]): Promise<void> {
    const barrier = await this.client.getData(this.path);
    const transaction = this.client.multi();
    for (const name of participants) transaction.check(`${this.path}/${name}`, -1);
    transaction.setData(this.path, barrier.data, barrier.stat.version);
    transaction.create(this.readyPath);
    try {
      await transaction.commit();
    } catch (error) {
      const lostTheRace =
        error instanceof MultiError &&
        (error.opError instanceof NodeExistsError ||
          error.opError instanceof NoNodeError ||
          error.opError instanceof BadVersionError);
      if (!lostTheRace) throw error;
    }
  }

  /**
   * Removes our node while asserting `ready` does not exist (it is created and deleted in
   * the same transaction: the create fails if it exists). Returns true when `ready` exists:
   * we are in its round, so we stay (and note the round).
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
          if (error.index === 0 && error.opError instanceof NodeExistsError) {
            if (await this.noteRound()) return true;
            continue; // gone since: withdraw again
          }
          // Our node is gone already (LOST): counted only if `ready` was made while it lived.
          if (error.index === 2 && error.opError instanceof NoNodeError) return this.noteRound();
        }
        if (!isConnectionTrouble(error)) throw error;
        // Unknown whether it applied: if our node is gone, it did (or the session did).
        if ((await this.client.exists(this.ourPath)) === null) return this.noteRound();
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

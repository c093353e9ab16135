/**
 * DistributedQueue: a FIFO queue of items shared by producers and consumers, where an item
 * is handed to one consumer at a time and is not lost when that consumer dies while it
 * holds it (Curator's DistributedQueue with a lock path, kazoo's LockingQueue).
 *
 * Layout:
 * - `<path>/_c_<uuid>-item-<seq>`: the items, PERSISTENT_SEQUENTIAL and protected (a
 *   connection lost during put() never leaves two items). The sequence gives the order.
 * - `<claimsPath>/<item name>` (default `<path>-claims`): an EPHEMERAL claim. A consumer
 *   takes an item by `multi[check item exists, create claim]`: only one can create it, and
 *   none can claim an item already done. It finishes with `multi[delete claim, delete
 *   item]`, or gives the item back by deleting the claim.
 *
 * Algorithm: a consumer lists the items (setting a child watch) only when it has no
 * candidate left and the watch fired since its last list, and tries the candidates in
 * sequence order. An item claimed by another consumer gets a data watch on its claim
 * (getData: an exists watch on a claim already gone would stay on the server for the
 * session's life, since a claim's name is never used again once its item is done);
 * when the claim vanishes (its holder finished it, gave it back or died), the item is a
 * candidate again, in its place in the order. A new item's sequence is above every listed
 * one, so candidates are always offered oldest first.
 *
 * Depth: put() refuses with QueueFullError once the queue holds `maxDepth` items (read from
 * the parent's child count, without listing), so no list ever passes the server's packet
 * limit. Producers racing at the limit may pass it by one item each.
 *
 * Connection states, for a taken item (policy: 'standard' by default):
 * - SUSPENDED: under 'standard' the item's `signal` is aborted: the claim may be lost, so
 *   stop acting on the item. complete() still succeeds if the same session comes back.
 *   Under 'session' nothing happens yet.
 * - LOST: the claim went with the session; the item is offered to consumers again. The
 *   item's signal is aborted, its state is LOST and complete() rejects with ClaimLostError:
 *   its work may be done twice (at-least-once), never completed twice.
 * - take() rides out both: it waits for the reconnect or the new session and goes on.
 * - complete() is fenced by the session: it is only sent in the session that made the
 *   claim, so a consumer whose session ended can never remove another consumer's claim.
 */
import { randomUUID } from 'node:crypto';
import {
  ConnectionLossError,
  CreateMode,
  MultiError,
  NodeExistsError,
  NoNodeError,
  SessionExpiredError,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { type ConnectionPolicy, endsHolding } from '../common/connection-policy';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { ClaimLostError, QueueClosedError, QueueFullError } from './errors';
import { deadlineOf, isConnectionTrouble, joinSignals, Wakeup } from '../common/wakeup';

export interface DistributedQueueOptions {
  /** put() refuses with QueueFullError at this many items. Default 10,000. */
  maxDepth?: number;
  /** Where the claims live. Default `<path>-claims`. */
  claimsPath?: string;
  /** Whether SUSPENDED already makes a taken item unsafe ('standard', the default). */
  policy?: ConnectionPolicy;
  /** Written into this consumer's claims, to see who holds what. Default a random UUID. */
  consumerId?: string;
}

export interface TakeOptions {
  /** Give up after this long: take() then resolves null. Default: wait for an item. */
  timeoutMs?: number;
  /** Abort the wait: take() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** HELD until complete() (COMPLETED), release() (RELEASED) or the claim's loss (LOST). */
export type QueueItemState = 'HELD' | 'COMPLETED' | 'RELEASED' | 'LOST';

/** An item taken by this consumer: nobody else is handed it while it is HELD. */
export interface QueueItem {
  /** The item's node name, e.g. `_c_…-item-0000000042`. */
  readonly name: string;
  /** Its sequence number: the queue's order. */
  readonly sequence: number;
  readonly data: Buffer;
  readonly state: QueueItemState;
  /**
   * Aborted when the claim is no longer safe to act on: lost with the session, or (policy
   * 'standard') the connection is suspended. Pass it to the work the item starts.
   */
  readonly signal: AbortSignal;
  /**
   * Removes the item and its claim in one transaction. Rejects with ClaimLostError when
   * the claim is not this consumer's any more (the item is offered again).
   * Idempotent once it succeeded.
   */
  complete(): Promise<void>;
  /** Gives the item back: it is offered again, in its place. Idempotent. */
  release(): Promise<void>;
}

export const DEFAULT_MAX_DEPTH = 10_000;
const ITEM_PREFIX = 'item-';
const SEQUENCE_SUFFIX = /(\d{10})$/;

export class DistributedQueue {
  private readonly lifecycle = new Lifecycle('DistributedQueue');
  private readonly closed = new AbortController();
  readonly maxDepth: number;
  readonly claimsPath: string;
  private readonly policy: ConnectionPolicy;
  private readonly consumerId: string;
  /** Names this consumer may try to claim next, in sequence order. */
  private candidates: string[] = [];
  /** No child watch on the items is set, or it fired: list again before waiting. */
  private stale = true;
  private listing: Promise<void> | null = null;
  /** Items claimed by another consumer, with a data watch set on their claim. */
  private readonly watchedClaims = new Set<string>();
  private readonly held = new Map<string, HeldItem>();
  /** Fired (and replaced) on every change that may offer an item. */
  private changed = new Wakeup();

  private readonly onItemsChanged = (): void => {
    this.stale = true;
    this.notify();
  };

  private readonly onState = (event: ZkStateEvent): void => {
    if (event === 'LOST' || event === 'CLOSED') {
      const lost = new ClaimLostError(`the session ended (${event}): every claim went with it`);
      for (const item of [...this.held.values()]) item.endHolding(lost, true);
      this.stale = true;
      this.notify();
    } else if (endsHolding(event, this.policy)) {
      const unsafe = new ClaimLostError(`the connection is ${event}: the claim may be lost`);
      for (const item of this.held.values()) item.endHolding(unsafe, false);
    }
  };

  constructor(
    private readonly client: ZkClient,
    /** The items' parent. */
    readonly path: string,
    options: DistributedQueueOptions = {},
  ) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!Number.isInteger(this.maxDepth) || this.maxDepth < 1) {
      throw new RangeError(`maxDepth must be an integer >= 1, got ${this.maxDepth}`);
    }
    this.claimsPath = options.claimsPath ?? `${path}-claims`;
    this.policy = options.policy ?? 'standard';
    this.consumerId = options.consumerId ?? randomUUID();
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** Creates the items' and the claims' parents when missing. */
  async start(): Promise<void> {
    this.lifecycle.start();
    this.client.on('state', this.onState);
    await this.client.ensurePath(this.path);
    await this.client.ensurePath(this.claimsPath);
  }

  /**
   * Adds an item at the end of the queue and returns its node name. Rejects with
   * QueueFullError when the queue holds `maxDepth` items.
   */
  async put(data: Buffer | string): Promise<string> {
    this.lifecycle.assertStarted();
    const stat = await this.client.exists(this.path);
    if (stat === null) await this.client.ensurePath(this.path);
    const depth = stat?.numChildren ?? 0;
    if (depth >= this.maxDepth) throw new QueueFullError(this.path, depth, this.maxDepth);
    const created = await this.client.create(`${this.path}/${ITEM_PREFIX}`, data, {
      mode: CreateMode.PERSISTENT_SEQUENTIAL,
      protected: true,
    });
    return created.slice(created.lastIndexOf('/') + 1);
  }

  /**
   * Takes the oldest item no other consumer holds, waiting for one if need be. Resolves
   * null when `timeoutMs` passes first; rejects with the signal's reason when aborted and
   * with QueueClosedError when the queue is closed meanwhile.
   */
  async take(options: TakeOptions = {}): Promise<QueueItem | null> {
    this.lifecycle.assertStarted();
    const deadline = deadlineOf(options.timeoutMs);
    const signal = joinSignals(this.closed.signal, options.signal);
    for (;;) {
      signal.throwIfAborted();
      const changed = this.changed;
      try {
        const name = await this.nextCandidate();
        if (name !== undefined) {
          const item = await this.claim(name);
          if (item === null) continue;
          if (signal.aborted) {
            await item.release();
            signal.throwIfAborted();
          }
          return item;
        }
      } catch (error) {
        if (!isConnectionTrouble(error)) throw error;
        if (deadline !== undefined && Date.now() >= deadline) return null;
        continue;
      }
      if (!(await changed.wait(deadline, signal))) return null;
    }
  }

  /**
   * Ends the recipe: take() calls under way reject with QueueClosedError, and items still
   * held are given back (so call it once their work is done or abandoned). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.closed.abort(new QueueClosedError(`queue ${this.path} was closed`));
    this.client.off('state', this.onState);
    await Promise.all([...this.held.values()].map((item) => item.release().catch(() => undefined)));
  }

  private notify(): void {
    const changed = this.changed;
    this.changed = new Wakeup();
    changed.fire();
  }

  private async nextCandidate(): Promise<string | undefined> {
    if (this.candidates.length === 0 && this.stale) await this.list();
    return this.candidates.shift();
  }

  /** Lists the items and sets the child watch; one list at a time for all take() calls. */
  private list(): Promise<void> {
    this.listing ??= (async () => {
      this.stale = false;
      try {
        const names = await this.client.getChildren(this.path, { watch: this.onItemsChanged });
        this.candidates = bySequence(
          names.filter((name) => !this.held.has(name) && !this.watchedClaims.has(name)),
        );
      } catch (error) {
        this.stale = true;
        if (!(error instanceof NoNodeError)) throw error;
        await this.client.ensurePath(this.path);
      } finally {
        this.listing = null;
      }
    })();
    return this.listing;
  }

  /** Offers `name` again, in its place in the order. */
  private offer(name: string): void {
    if (this.held.has(name) || this.candidates.includes(name)) return;
    const sequence = sequenceOf(name);
    if (sequence === undefined) return;
    const at = this.candidates.findIndex((other) => (sequenceOf(other) ?? 0) > sequence);
    this.candidates.splice(at < 0 ? this.candidates.length : at, 0, name);
  }

  /** Tries to claim `name`: the held item, or null when it is gone or someone else's. */
  private async claim(name: string): Promise<HeldItem | null> {
    const itemPath = `${this.path}/${name}`;
    const claimPath = `${this.claimsPath}/${name}`;
    try {
      await this.client
        .multi()
        .check(itemPath, -1)
        .create(claimPath, this.consumerId, { mode: CreateMode.EPHEMERAL })
        .commit();
    } catch (error) {
      if (error instanceof MultiError) {
        if (error.index === 0) return null; // the item is done
        if (error.opError instanceof NodeExistsError) {
          this.watchClaim(name);
          return null;
        }
        if (error.opError instanceof NoNodeError) {
          await this.client.ensurePath(this.claimsPath);
          this.offer(name);
          return null;
        }
      }
      if (!(error instanceof ConnectionLossError)) throw error;
      // Unknown whether the claim was made: look at it.
      const claim = await this.client.exists(claimPath);
      if (claim === null) {
        this.offer(name);
        return null;
      }
      if (claim.ephemeralOwner !== this.client.sessionId) {
        this.watchClaim(name);
        return null;
      }
    }
    return this.readClaimed(name, itemPath, claimPath);
  }

  /** The claim is ours: read the item and the claim's owning session. */
  private async readClaimed(
    name: string,
    itemPath: string,
    claimPath: string,
  ): Promise<HeldItem | null> {
    for (;;) {
      try {
        const [{ data }, claim] = await Promise.all([
          this.client.getData(itemPath),
          this.client.exists(claimPath),
        ]);
        if (claim === null) {
          // It went with the session meanwhile.
          this.offer(name);
          return null;
        }
        const item = new HeldItem(
          this.client,
          name,
          data,
          itemPath,
          claimPath,
          claim.ephemeralOwner,
        );
        item.settled = () => this.held.delete(name);
        this.held.set(name, item);
        if (endsHolding(toEvent(this.client.state), this.policy)) {
          item.endHolding(
            new ClaimLostError('the connection is not up: the claim may be lost'),
            false,
          );
        }
        return item;
      } catch (error) {
        if (error instanceof NoNodeError) {
          // The item was removed by someone outside the queue: drop our claim too.
          await this.client.delete(claimPath).catch(() => undefined);
          return null;
        }
        // Connection trouble: the claim lives on with the session, or goes with it.
        if (!isConnectionTrouble(error)) throw error;
      }
    }
  }

  /** Watches another consumer's claim on `name`; when it vanishes, `name` is offered again. */
  private watchClaim(name: string): void {
    if (this.watchedClaims.has(name)) return;
    this.watchedClaims.add(name);
    const recheck = (): void => {
      if (!this.watchedClaims.delete(name) || this.lifecycle.state !== 'STARTED') return;
      this.offer(name);
      this.notify();
    };
    // Any event (deleted, or the session's end) and a claim already gone mean: try again.
    // A getData on a missing claim leaves no watch behind, unlike an exists.
    this.client
      .getData(`${this.claimsPath}/${name}`, { watch: recheck })
      .then(() => undefined, recheck);
  }
}

class HeldItem implements QueueItem {
  private current: QueueItemState = 'HELD';
  private readonly unsafe = new AbortController();
  readonly sequence: number;
  /** Called once, when the item stops being HELD. */
  settled: () => void = () => undefined;

  constructor(
    private readonly client: ZkClient,
    readonly name: string,
    readonly data: Buffer,
    private readonly itemPath: string,
    private readonly claimPath: string,
    /** The session that made the claim: the only one that may complete it. */
    private readonly owner: bigint,
  ) {
    this.sequence = sequenceOf(name) ?? -1;
  }

  get state(): QueueItemState {
    return this.current;
  }

  get signal(): AbortSignal {
    return this.unsafe.signal;
  }

  /** The claim is unsafe (`lost` false) or gone (`lost` true). */
  endHolding(reason: Error, lost: boolean): void {
    if (!this.unsafe.signal.aborted) this.unsafe.abort(reason);
    if (lost) this.settle('LOST');
  }

  async complete(): Promise<void> {
    let verify = false;
    for (;;) {
      if (this.current === 'COMPLETED') return;
      this.assertHeld();
      try {
        if (verify && (await this.applied())) {
          this.settle('COMPLETED');
          return;
        }
        await this.client.multi().delete(this.claimPath).delete(this.itemPath).commit();
        this.settle('COMPLETED');
        return;
      } catch (error) {
        if (error instanceof MultiError && error.opError instanceof NoNodeError) {
          throw this.lose('its claim or the item was removed by someone else', error);
        }
        if (error instanceof SessionExpiredError) throw this.lose('the session expired', error);
        if (!(error instanceof ConnectionLossError)) throw error;
        verify = true;
      }
    }
  }

  /**
   * After a connection loss: did our multi apply? It deletes the claim and the item at once,
   * so only both gone says yes. A claim gone alone says nothing (it also goes with the
   * session, or with someone else's delete); the multi then runs again and fails on it.
   * An answer read in another session than the claim's says nothing either.
   */
  private async applied(): Promise<boolean> {
    const [item, claim] = await Promise.all([
      this.client.exists(this.itemPath),
      this.client.exists(this.claimPath),
    ]);
    if (this.client.sessionId !== this.owner) {
      throw this.lose('the session that claimed it ended', undefined);
    }
    return item === null && claim === null;
  }

  async release(): Promise<void> {
    for (;;) {
      if (this.current !== 'HELD') return;
      if (this.client.sessionId !== this.owner) {
        this.endHolding(new ClaimLostError('the session that claimed it ended'), true);
        return;
      }
      try {
        const claim = await this.client.exists(this.claimPath);
        // Not ours any more: given back already, by a delete whose reply was lost.
        if (claim !== null && claim.ephemeralOwner === this.owner) {
          await this.client.delete(this.claimPath);
        }
        this.settle('RELEASED');
        return;
      } catch (error) {
        if (error instanceof NoNodeError) {
          this.settle('RELEASED');
          return;
        }
        if (error instanceof SessionExpiredError) {
          this.endHolding(new ClaimLostError('the session expired'), true);
          return;
        }
        if (!(error instanceof ConnectionLossError)) throw error;
      }
    }
  }

  /** Throws ClaimLostError unless HELD in the session that made the claim. */
  private assertHeld(): void {
    if (this.current === 'HELD' && this.client.sessionId !== this.owner) {
      throw this.lose('the session that claimed it ended', undefined);
    }
    if (this.current !== 'HELD') {
      throw new ClaimLostError(`item ${this.name} is ${this.current}, not HELD`);
    }
  }

  private lose(why: string, cause: unknown): ClaimLostError {
    const error = new ClaimLostError(`item ${this.name} is not held any more: ${why}`, { cause });
    this.endHolding(error, true);
    return error;
  }

  private settle(state: Exclude<QueueItemState, 'HELD'>): void {
    if (this.current !== 'HELD') return;
    this.current = state;
    if (state !== 'COMPLETED' && !this.unsafe.signal.aborted) {
      this.unsafe.abort(new ClaimLostError(`item ${this.name} is ${state}`));
    }
    this.settled();
  }
}

function sequenceOf(name: string): number | undefined {
  const match = SEQUENCE_SUFFIX.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Item names in sequence order; names without a sequence suffix are not items. */
function bySequence(names: readonly string[]): string[] {
  return names
    .map((name) => ({ name, sequence: sequenceOf(name) }))
    .filter((entry): entry is { name: string; sequence: number } => entry.sequence !== undefined)
    .sort((a, b) => a.sequence - b.sequence)
    .map((entry) => entry.name);
}

/** The client's state as the event that led to it, for the connection policy. */
function toEvent(state: ZkClient['state']): ZkStateEvent {
  return state === 'CONNECTING' ? 'SUSPENDED' : state;
}

/**
 * The one lock loop behind DistributedLock, ReadWriteLock and Semaphore (Curator's
 * LockInternals), written as kazoo writes its Lock: as if the connection were reliable,
 * with connection trouble turned into "check again" or "stop" in one place.
 *
 * 1. Create our node, ephemeral and sequential, with a unique prefix of our own (Curator's
 *    protected name), so that after a connection loss during the create we can find it,
 *    and after a timeout or an abort we can delete it: no orphan node blocks the others.
 * 2. List the lock's children and sort them by sequence number: arrival order, FIFO. The
 *    first listing is sent with the create, in the same turn (the server answers a
 *    session's requests in order, so it holds our node, and the create's Stat gives our
 *    czxid): a free lock is taken in one round trip, and given back in one more.
 * 3. Ask the driver: do we hold? If not, which nodes block us?
 * 4. Set a data watch (getData) on each blocker (one for a mutex, never the whole queue).
 *    A blocker already gone (NoNode, and no watch left behind) means check again at once;
 *    that is the race of a node vanishing between the listing and the watch, and it
 *    cannot hang us.
 * 5. Wait until a watch fires (or the session changes, or we are cancelled), then go to 2;
 *    unless the deletions the watches reported are enough: nodes only join behind us, so
 *    when the listing less the deleted nodes lets us hold, we hold without reading again
 *    (the waiter right behind a mutex's holder takes it on the holder's delete).
 *
 * Internal to the locks family.
 */
import {
  ConnectionLossError,
  CreateMode,
  EventType,
  NodeExistsError,
  NoNodeError,
  SessionExpiredError,
  type WatchEvent,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { randomUUID } from 'node:crypto';
import { endsHolding, type ConnectionPolicy } from '../common/connection-policy';
import {
  LockAbortedError,
  LockClosedError,
  LockLostError,
  LockTimeoutError,
  type LossReason,
} from './errors';
import { Holding } from './lease';
import { sortContenders, type LockDriver } from './lock-driver';

export interface AcquireOptions {
  /**
   * Give up (LockTimeoutError) when not acquired within this many milliseconds. The
   * acquisition always gets its first look (create, list, decide), as Curator's
   * `acquire(0, …)`: `0` is a try-lock, held if the lock is free and refused at once if
   * not. A timeout takes effect when the loop would wait, and rejects once our node is
   * deleted; while the connection is down, at once (the node is deleted behind it).
   */
  timeoutMs?: number;
  /** Give up (LockAbortedError) when this signal aborts. */
  signal?: AbortSignal;
}

export interface LockInternalsOptions {
  client: ZkClient;
  path: string;
  driver: LockDriver;
  policy: ConnectionPolicy;
  /** Told once per holding lost to the connection (not to a recipe close). */
  onLost: (error: LockLostError) => void;
}

/**
 * Where one acquisition is. The loop moves CREATING → CHECKING → (WAITING → CHECKING)* →
 * DONE; AWAITING_CONNECTION when it must not decide before the connection is back.
 */
type Phase = 'CREATING' | 'CHECKING' | 'WAITING' | 'AWAITING_CONNECTION' | 'DONE';

/** The lock's children as one read saw them, and our node's czxid (null: it was gone). */
interface Listing {
  children: string[];
  czxid: bigint | null;
  /** The session the listing was read in. */
  session: bigint;
}

/** A guaranteed delete gives up after this many connection losses in a row. */
const DELETE_ATTEMPTS = 20;

/** One acquisition: our node, the watches it set, and how to wake or cancel it. */
class Attempt {
  phase: Phase = 'CREATING';
  /** The name of our node, once created. */
  node: string | null = null;
  /** A create failed with a connection loss: our node may exist, named with our prefix. */
  uncertain = false;
  readonly prefix = `_c_${randomUUID()}-`;
  /** Why the acquisition was given up, once it was. */
  cancelled: Error | null = null;
  /** The timeout ran out: the attempt gives up when it would wait, or waits. */
  private expired: Error | null = null;
  /** Blockers that carry a watch of ours not yet fired. */
  readonly watching = new Set<string>();
  /** Blockers whose deletion our watches reported since rearm(). */
  readonly deleted = new Set<string>();

  private woken = false;
  private waiter: (() => void) | null = null;

  constructor(private readonly abandon: (error: Error) => void) {}

  /** The one watch listener of this attempt. */
  readonly onWatch = (event: WatchEvent): void => {
    // None: the session expired or the client closed; every watch of ours went with it.
    if (event.type === EventType.None) this.watching.clear();
    else this.watching.delete(event.path);
    if (event.type === EventType.NodeDeleted) this.deleted.add(event.path);
    this.wake();
  };

  wake(): void {
    this.woken = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** Forgets earlier wake-ups: call before reading what a wake-up would report. */
  rearm(): void {
    this.woken = false;
    this.deleted.clear();
  }

  /**
   * Resolves on the first wake-up since rearm(), at once if there was one already. Rejects
   * instead when the timeout ran out, before or during the sleep: the look was made, and
   * the loop must not wait. The rejection goes through the loop, so our node is deleted
   * before acquire() rejects.
   */
  async sleep(phase: Phase): Promise<void> {
    this.throwIfExpired();
    if (!this.woken) {
      this.phase = phase;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    this.throwIfExpired();
  }

  /**
   * The timeout ran out. With no connection, give up now (nothing can be looked at or
   * deleted before it is back). Otherwise the loop gives up when it would wait, after the
   * look under way if there is one: wake it in case it waits already.
   */
  expire(error: Error, canLook: boolean): void {
    if (!canLook) {
      this.cancel(error);
      return;
    }
    this.expired = error;
    if (this.waiter !== null) this.wake();
  }

  private throwIfExpired(): void {
    if (this.expired === null) return;
    this.cancelled ??= this.expired;
    throw this.cancelled;
  }

  /**
   * The connection went: an attempt whose timeout ran out gives up now, during its look or
   * the deletion of its node (which then goes on behind the rejection).
   */
  cancelIfExpired(): void {
    if (this.expired === null) return;
    this.cancelled ??= this.expired;
    this.wake();
    this.abandon(this.expired);
  }

  cancel(error: Error): void {
    if (this.cancelled !== null || this.phase === 'DONE') return;
    this.cancelled = error;
    this.wake();
    this.abandon(error);
  }

  throwIfCancelled(): void {
    if (this.cancelled !== null) throw this.cancelled;
  }
}

export class LockInternals {
  readonly path: string;
  private readonly client: ZkClient;
  private readonly driver: LockDriver;
  private readonly policy: ConnectionPolicy;
  private readonly onLost: (error: LockLostError) => void;
  private readonly attempts = new Set<Attempt>();
  private readonly holdings = new Set<Holding>();
  /** Acquisitions and deletions under way; close() waits for them. */
  private readonly tasks = new Set<Promise<unknown>>();
  private parentReady: Promise<void> | null = null;
  private closed = false;

  constructor(options: LockInternalsOptions) {
    this.client = options.client;
    this.path = options.path;
    this.driver = options.driver;
    this.policy = options.policy;
    this.onLost = options.onLost;
  }

  /** Whether any holding of ours is held (not released, not lost). */
  get holds(): boolean {
    return this.holdings.size > 0;
  }

  /**
   * Waits for the lock and returns our holding. A timeout rejects once our node is deleted
   * (with the connection down, at once). An abort rejects at once; our node is then deleted
   * behind the rejection (close() waits for that).
   */
  acquire(options: AcquireOptions = {}): Promise<Holding> {
    if (this.closed) return Promise.reject(new LockClosedError(this.path));
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(new RangeError(`timeoutMs must be 0 or more, got ${timeoutMs}`));
    }
    if (signal?.aborted === true) {
      return Promise.reject(new LockAbortedError(this.path, signal.reason));
    }
    return new Promise<Holding>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => attempt.cancel(new LockAbortedError(this.path, signal?.reason));
      const settle = (outcome: { holding: Holding } | { error: Error }): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if ('holding' in outcome) resolve(outcome.holding);
        else reject(outcome.error);
        return true;
      };
      const attempt = new Attempt((error) => settle({ error }));
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const error = new LockTimeoutError(this.path, timeoutMs);
          attempt.expire(error, this.client.state === 'CONNECTED');
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.attempts.add(attempt);
      this.track(
        this.run(attempt).then(
          (holding) => {
            // Granted just as it was given up: give it back.
            if (!settle({ holding })) return this.release(holding);
          },
          (error: unknown) => {
            settle({ error: error instanceof Error ? error : new Error(String(error)) });
          },
        ),
      );
    });
  }

  /** Deletes a holding's node; resolves once it is gone. Idempotent. */
  release(holding: Holding): Promise<void> {
    if (holding.deletion === null) {
      this.holdings.delete(holding);
      holding.deletion = this.deleteNode(holding.node);
      this.track(holding.deletion);
    }
    return holding.deletion;
  }

  /** The connection policy, in one switch: what a state change means for holders and waiters. */
  handleStateChange(event: ZkStateEvent): void {
    if (endsHolding(event, this.policy)) {
      for (const holding of [...this.holdings]) this.lose(holding, event as LossReason);
    }
    switch (event) {
      case 'CONNECTED':
      case 'CLOSED':
        // A new session (every node of ours is gone: take a new place), or no more
        // requests: every waiter must look again.
        for (const attempt of this.attempts) attempt.wake();
        break;
      case 'RECONNECTED':
        // The same session: nodes and watches are still there. Only an attempt that held
        // back its decision until the connection came back must look again.
        for (const attempt of this.attempts) {
          if (attempt.phase === 'AWAITING_CONNECTION') attempt.wake();
        }
        break;
      case 'SUSPENDED':
      case 'LOST':
        // An attempt whose timeout ran out during its look gets no answer soon: it gives up.
        for (const attempt of this.attempts) attempt.cancelIfExpired();
        // Waiters keep waiting: their requests wait for the connection, and on LOST their
        // watches get an Expired event, then they take a new place in the new session.
        break;
    }
  }

  /** Cancels every acquisition, releases every holding, and waits for the deletions. */
  async close(): Promise<void> {
    this.closed = true;
    for (const attempt of this.attempts) attempt.cancel(new LockClosedError(this.path));
    for (const holding of [...this.holdings]) this.lose(holding, 'RECIPE_CLOSED');
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private lose(holding: Holding, reason: LossReason): void {
    if (!this.holdings.has(holding)) return;
    const error = new LockLostError(this.path, holding.node, holding.fencingToken, reason);
    // Delete the node too: under 'standard' the session may survive the SUSPENDED, and a
    // lease nobody relies on any more must not block the others.
    void this.release(holding);
    holding.lose(error);
    if (reason !== 'RECIPE_CLOSED') this.onLost(error);
  }

  private track(task: Promise<unknown>): void {
    const tracked = task.catch(() => undefined).finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }

  /** Contends until we hold; on any other outcome our node is deleted before it returns. */
  private async run(attempt: Attempt): Promise<Holding> {
    let holding: Holding | null = null;
    try {
      holding = await this.contend(attempt);
      return holding;
    } finally {
      attempt.phase = 'DONE';
      // Still listed while its node is deleted: a connection lost meanwhile settles it.
      if (holding === null) await this.abandon(attempt).catch(() => undefined);
      this.attempts.delete(attempt);
    }
  }

  private async contend(attempt: Attempt): Promise<Holding> {
    for (;;) {
      attempt.throwIfCancelled();
      try {
        // Forget earlier wake-ups before anything is read that they would report.
        attempt.rearm();
        let listed: Listing | null = null;
        if (attempt.node === null) {
          const made = await this.createNode(attempt);
          attempt.node = made.name;
          listed = made.listing;
        }
        attempt.phase = 'CHECKING';
        if (listed === null) {
          // Our node's stat comes with the listing (pipelined, one round trip): its czxid
          // is the fencing token if we hold.
          const session = this.client.sessionId;
          const [children, own] = await Promise.all([
            this.client.getChildren(this.path),
            this.client.exists(`${this.path}/${attempt.node}`),
          ]);
          if (own !== null && own.ephemeralOwner !== session) {
            // Our node of an earlier session (review zk-recipes F1): this client declared
            // that session LOST, but the ensemble may keep it alive for a while (a new
            // ZooKeeper leader gives every session a fresh timeout). Holding on it would
            // let a waiter behind it hold too once the server expires it. It goes, and we
            // take a new place in this session.
            this.dropStale(attempt.node);
            attempt.node = null;
            continue;
          }
          listed = { children, czxid: own?.czxid ?? null, session };
        }
        attempt.throwIfCancelled();
        const contenders = sortContenders(listed.children, this.driver.kinds);
        const ours = contenders.findIndex((c) => c.name === attempt.node);
        if (listed.czxid === null || ours < 0) {
          // Our node went with an expired session: take a new place at the end.
          attempt.node = null;
          continue;
        }
        const decision = this.driver.decide(contenders, ours);
        if (decision.holds) {
          const holding = await this.grant(attempt, listed.czxid);
          if (holding !== null) return holding;
          continue;
        }
        let blockerGone = false;
        for (const blocker of decision.blockers) {
          const path = `${this.path}/${blocker.name}`;
          if (attempt.watching.has(path)) continue;
          // Marked before the watch is set: its event may be dispatched before we resume.
          attempt.watching.add(path);
          // getData, not exists: on a blocker already gone it sets no watch, where an
          // exists watch would stay on the server (and in the client) for the session's
          // life, since node names are never used again (review zk-recipes F2; Curator's
          // LockInternals and kazoo's Lock do the same).
          const present = await this.client.getData(path, { watch: attempt.onWatch }).then(
            () => true,
            (error: unknown) => {
              attempt.watching.delete(path);
              if (error instanceof NoNodeError) return false;
              throw error;
            },
          );
          if (!present) {
            attempt.watching.delete(path);
            blockerGone = true;
            break;
          }
        }
        if (blockerGone) continue;
        await attempt.sleep('WAITING');
        attempt.throwIfCancelled();
        // A blocker is gone. Nodes only join behind us (their sequence numbers are higher),
        // so the nodes ahead of us now are at most the listing's, less those seen deleted:
        // when the driver says that is enough to hold, it is, and no second read is needed
        // (for a mutex: the waiter right behind the holder). Not in another session.
        const left = contenders.filter((c) => !attempt.deleted.has(`${this.path}/${c.name}`));
        const index = left.findIndex((c) => c.name === attempt.node);
        if (
          left.length < contenders.length &&
          index >= 0 &&
          this.client.sessionId === listed.session &&
          this.driver.decide(left, index).holds
        ) {
          const holding = await this.grant(attempt, listed.czxid);
          if (holding !== null) return holding;
        }
      } catch (error) {
        if (error instanceof ConnectionLossError) continue;
        if (error instanceof SessionExpiredError) {
          // Wait for the new session, unless it is already there.
          attempt.watching.clear();
          attempt.rearm();
          if (this.client.state !== 'CONNECTED') await attempt.sleep('AWAITING_CONNECTION');
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * The driver said we hold. Grant it only while the policy allows holding; otherwise wait
   * for the connection and check again.
   */
  private async grant(attempt: Attempt, fencingToken: bigint): Promise<Holding | null> {
    if (attempt.node === null) return null;
    if (!this.mayHold()) {
      await attempt.sleep('AWAITING_CONNECTION');
      return null;
    }
    const holding = new Holding(`${this.path}/${attempt.node}`, fencingToken);
    this.holdings.add(holding);
    return holding;
  }

  private mayHold(): boolean {
    const state = this.client.state;
    return state === 'CONNECTED' || (state === 'SUSPENDED' && this.policy === 'session');
  }

  /**
   * Creates our node and returns its name. Never leaves two nodes for one attempt. The
   * lock's listing is asked for with the create, in the same turn: the server answers a
   * session's requests in order, so the listing holds our node, and the create's Stat
   * gives its czxid; acquiring a free lock takes one round trip. `listing` is null when
   * the node was found after a connection loss, or the listing failed: read again then.
   */
  private async createNode(attempt: Attempt): Promise<{ name: string; listing: Listing | null }> {
    attempt.phase = 'CREATING';
    for (;;) {
      attempt.throwIfCancelled();
      if (attempt.uncertain) {
        const found = await this.findOwn(attempt.prefix);
        attempt.uncertain = false;
        if (found !== undefined) {
          // Adopted only if it is this session's (Curator's validateFoundNode); one of an
          // earlier session goes, and a new one is made.
          const stat = await this.client.exists(`${this.path}/${found}`);
          if (stat?.ephemeralOwner === this.client.sessionId) return { name: found, listing: null };
          if (stat !== null) this.dropStale(found);
        }
      }
      await this.ensureParent();
      try {
        const session = this.client.sessionId;
        const creating = this.client.createWithStat(
          `${this.path}/${attempt.prefix}${this.driver.kind}`,
          undefined,
          { mode: CreateMode.EPHEMERAL_SEQUENTIAL },
        );
        const listing = this.client.getChildren(this.path);
        listing.catch(() => undefined); // if the create fails, so may this: not used then
        const created = await creating;
        const name = created.path.slice(created.path.lastIndexOf('/') + 1);
        const children = await listing.catch((): null => null);
        return {
          name,
          listing: children === null ? null : { children, czxid: created.stat.czxid, session },
        };
      } catch (error) {
        if (error instanceof NoNodeError) {
          // The lock's container node was reaped meanwhile.
          this.parentReady = null;
          continue;
        }
        if (error instanceof ConnectionLossError) {
          attempt.uncertain = true;
          continue;
        }
        throw error;
      }
    }
  }

  /** The lock node is a container: the server removes it once it has been left empty. */
  private ensureParent(): Promise<void> {
    this.parentReady ??= (async () => {
      if ((await this.client.exists(this.path)) !== null) return;
      const parent = this.path.slice(0, this.path.lastIndexOf('/'));
      if (parent !== '') await this.client.ensurePath(parent);
      try {
        await this.client.create(this.path, undefined, { mode: CreateMode.CONTAINER });
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
      }
    })().catch((error: unknown) => {
      this.parentReady = null;
      throw error;
    });
    return this.parentReady;
  }

  private async findOwn(prefix: string): Promise<string | undefined> {
    try {
      return (await this.client.getChildren(this.path)).find((name) => name.startsWith(prefix));
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }
  }

  /** Deletes the node of an attempt that will not hold, found by its prefix if need be. */
  private async abandon(attempt: Attempt): Promise<void> {
    for (let tries = 1; attempt.node === null && attempt.uncertain; tries++) {
      try {
        attempt.node = (await this.findOwn(attempt.prefix)) ?? null;
        attempt.uncertain = false;
      } catch (error) {
        if (!(error instanceof ConnectionLossError) || tries >= DELETE_ATTEMPTS) return;
      }
    }
    if (attempt.node !== null) await this.deleteNode(`${this.path}/${attempt.node}`);
  }

  /** Deletes, in the background (close() waits for it), our node of an earlier session. */
  private dropStale(node: string): void {
    this.track(this.deleteNode(`${this.path}/${node}`).catch(() => undefined));
  }

  /** Curator's guaranteed delete (the client's). */
  private deleteNode(path: string): Promise<void> {
    return this.client.deleteGuaranteed(path, { attempts: DELETE_ATTEMPTS });
  }
}

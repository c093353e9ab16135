import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ClientClosedError,
  ConnectionLossError,
  type ACL,
  CreateMode,
  EventType,
  NoNodeError,
  SessionExpiredError,
  type Stat,
  type WatchEvent,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { type ConnectionPolicy, endsHolding } from '../common/connection-policy';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import { LeadershipTimeoutError, type RevocationReason } from './errors';
import {
  childPath,
  type Participant,
  PARTICIPANT_NAME,
  participantQueue,
  readLeader,
  readParticipants,
  validateElectionPath,
} from './participants';
import { RecipeClosedError } from '../common/errors';

export interface LeaderLatchOptions {
  /** This participant's id, stored as its node's data. Default: a random UUID. */
  id?: string;
  /** When leadership ends on connection trouble (see ConnectionPolicy). Default 'standard'. */
  policy?: ConnectionPolicy;
  /** The ACL of this participant's node (and of the election path if it is created). Default OPEN_ACL_UNSAFE. */
  acl?: readonly ACL[];
}

/** One term of leadership. */
export interface Leadership {
  /**
   * The fencing token: the czxid (creation zxid) of the leader's participant node. It grows
   * with every new leader (see LeaderLatch), so a resource that remembers the highest token
   * it has seen can refuse a deposed leader.
   */
  readonly token: bigint;
  /**
   * The leader's participant node. It exists exactly as long as this participant leads, so
   * `multi().check(nodePath, -1)` in a transaction makes the transaction fail once
   * leadership is lost: the fence for writes to ZooKeeper itself.
   */
  readonly nodePath: string;
  /** The participant's id. */
  readonly participantId: string;
  /** The session that owns the node. */
  readonly sessionId: bigint;
}

export interface Revocation {
  readonly reason: RevocationReason;
  /** The term that ended. */
  readonly leadership: Leadership;
}

export interface LeaderLatchEvents {
  /** This participant leads now. */
  elected: [leadership: Leadership];
  /** This participant leads no more; it stays in the election unless closed. */
  revoked: [revocation: Revocation];
  /**
   * The connection dropped while this participant led. Under 'standard' a 'revoked' follows
   * at once; under 'session' it keeps leading, at risk, until RECONNECTED or LOST.
   */
  suspended: [leadership: Leadership];
  /**
   * A failure that no connection event will cure (for example NoAuthError on create). The
   * latch tries again on the next connection event. Without a listener, the error is
   * rethrown on the next tick, as an unhandled 'error' event would be.
   */
  error: [error: Error];
}

export interface AwaitLeadershipOptions {
  /** Reject with LeadershipTimeoutError after this long. */
  timeoutMs?: number;
  /** Reject with the signal's reason when it aborts. */
  signal?: AbortSignal;
}

/** This participant's node, in the session that made it. */
interface OwnNode {
  readonly path: string;
  readonly name: string;
  readonly sessionId: bigint;
  /** Whether it was first in the queue when last looked at (then it stays first). */
  first: boolean;
  /** Whether a watch on the node ahead is set (the client keeps it across RECONNECTED). */
  watching: boolean;
}

/**
 * A node this latch may have left in a session it lost (the ensemble can keep a lost session
 * alive a while, for instance after a quorum loss): its path, or the name prefix of a
 * create whose answer was lost.
 */
type LeftBehind = { readonly path: string } | { readonly prefix: string };

interface Waiter {
  resolve(leadership: Leadership): void;
  reject(error: Error): void;
}

/** Pause before looking again after a connection loss the client has already recovered from. */
const RETRY_DELAY_MS = 100;
/** Tries of a delete whose answer was lost with the connection. */
const DELETE_ATTEMPTS = 3;

/**
 * LeaderLatch: Curator's leader latch. Every participant joins the queue with an
 * ephemeral-sequential node under `path`; the first node's owner leads until it closes, its
 * node goes or the connection policy says so. Each follower watches only the node just
 * ahead of it (no herd: one node going wakes one participant), and lists the election only
 * when it joins and when that node goes.
 *
 * States: LATENT → STARTED → CLOSED (the Lifecycle); while STARTED it is a follower or the
 * leader (`hasLeadership`):
 * - follower → leader ('elected'): its node is first in the queue.
 * - leader → follower ('revoked'): SUSPENDED under 'standard', LOST, or its node deleted by
 *   someone else (the leader watches its own node).
 * - any → CLOSED: close() revokes at once, then deletes the node so that the next
 *   participant leads within a round trip.
 *
 * Connection trouble:
 * - SUSPENDED: a leader gets 'suspended'. Under 'standard' (the default) it is revoked at
 *   once; its node stays, so nobody else leads until the session is known to be lost.
 *   Under 'session' it keeps leading until LOST.
 * - RECONNECTED (same session): it checks that its node is still there. If so, a node that
 *   was first is first still and leads again with the same token; a follower's watch was
 *   restored by the client. If not, it joins again with a new node.
 * - LOST: revoked at once; with the client's new session (CONNECTED) it first deletes the
 *   node of the lost session if that is still there (the ensemble may keep a session the
 *   client gave up on alive for a while, as after a quorum loss; as Curator's reset()
 *   does), then joins again with a new node, at the back of the queue.
 *
 * No event reaches a process that is not running (a long GC pause, SIGSTOP): it learns that
 * it was deposed only when it reads its socket again. Writes fenced by the leader's node
 * (`check(nodePath, -1)` in a multi) or by the token are what keep it harmless meanwhile.
 *
 * The fencing token is the czxid of the leader's node, not its sequence number. Both grow
 * from one leader to the next: a leader's node was first among the live nodes, so every
 * later leader's node was created after it. The sequence number, though, is a counter of
 * the parent znode: it starts again from 0 when the election's parent is deleted and
 * created again, it is not comparable between two election paths, and it wraps at 2^31.
 * A zxid is ordered over the whole ensemble and never reused. A leader that regains
 * leadership with the same node (RECONNECTED) keeps its token: nobody led in between.
 *
 * Participant nodes are protected (Curator's `_c_<uuid>-` names): when the connection
 * drops during the create, the latch looks for its prefix before creating again, so it
 * never leaves an orphan node that would block the queue until its session ends.
 */
export class LeaderLatch extends EventEmitter<LeaderLatchEvents> {
  /** This participant's id (its node's data). */
  readonly id: string;
  private readonly lifecycle = new Lifecycle('LeaderLatch');
  private readonly policy: ConnectionPolicy;
  private readonly acl: readonly ACL[] | undefined;
  private node: OwnNode | null = null;
  private current: Leadership | null = null;
  /** A create whose answer was lost: the node may exist. Its unique name prefix. */
  private uncertainCreate: { prefix: string; sessionId: bigint } | null = null;
  /** Nodes of lost sessions to delete before joining again (see LeftBehind). */
  private readonly leftBehind: LeftBehind[] = [];
  private parentReady = false;
  /** The check under way, if any; `again` asks for one more after it. */
  private pass: Promise<void> | null = null;
  private again = false;
  /** After RECONNECTED: check our node with one read instead of listing the election. */
  private verifyOnly = false;
  /** Watches of an older generation are stale and ignored. */
  private predecessorWatch = 0;
  private ownNodeWatch = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly waiters = new Set<Waiter>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly client: ZkClient,
    /** The election's path; its children are the participants. */
    readonly path: string,
    options: LeaderLatchOptions = {},
  ) {
    super();
    validateElectionPath(path);
    this.id = options.id ?? randomUUID();
    this.policy = options.policy ?? 'standard';
    this.acl = options.acl;
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  get hasLeadership(): boolean {
    return this.current !== null;
  }

  /** The current term, or null when this participant does not lead. */
  get leadership(): Leadership | null {
    return this.current;
  }

  /**
   * Joins the election. Leadership is announced by 'elected' (or awaited with await()). Async, as every recipe's start(); it resolves at once.
   * Rejects with RecipeStateError when started before or closed.
   */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.lifecycle.start();
      this.client.on('state', this.onState);
      this.participate();
      resolve();
    });
  }

  /**
   * Resolves with the leadership once this participant leads (at once if it does).
   * Rejects with LeadershipTimeoutError after `timeoutMs`, with the signal's reason when it
   * aborts (an Error; any other reason becomes the cause of one), and with
   * RecipeStateError when the latch is not started or is closed meanwhile.
   */
  async await(options: AwaitLeadershipOptions = {}): Promise<Leadership> {
    this.lifecycle.assertStarted();
    if (this.current !== null) return this.current;
    const { timeoutMs, signal } = options;
    signal?.throwIfAborted();
    return new Promise<Leadership>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        this.waiters.delete(waiter);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        settle();
        const reason: unknown = signal?.reason;
        reject(reason instanceof Error ? reason : new Error('aborted', { cause: reason }));
      };
      const waiter: Waiter = {
        resolve: (leadership) => {
          settle();
          resolve(leadership);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.waiters.add(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => waiter.reject(new LeadershipTimeoutError(timeoutMs)), timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The current leader, read from the znodes (null when nobody takes part). */
  getLeader(): Promise<Participant | null> {
    return readLeader(this.client, this.path);
  }

  /** Every participant in queue order, read from the znodes; the first leads. */
  getParticipants(): Promise<Participant[]> {
    return readParticipants(this.client, this.path);
  }

  /**
   * Leaves the election: a leader is revoked at once ('revoked', reason CLOSED), then the
   * node is deleted, so the next participant leads as soon as it hears of it. Resolves when
   * the node is gone. Idempotent.
   */
  close(): Promise<void> {
    if (!this.lifecycle.close()) return this.closing ?? Promise.resolve();
    this.closing = this.leave();
    return this.closing;
  }

  private async leave(): Promise<void> {
    this.client.off('state', this.onState);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.predecessorWatch++;
    this.ownNodeWatch++;
    const node = this.node;
    this.loseNode('CLOSED');
    for (const waiter of this.waiters) {
      waiter.reject(new RecipeClosedError('LeaderLatch was closed before it was elected'));
    }
    try {
      if (node !== null && node.sessionId === this.client.sessionId) {
        await this.deleteNode(node.path, node.sessionId);
      } else if (node !== null) {
        // Closed as its session is lost (before the LOST event reached the latch): that
        // session's node may outlive it a while, so it is deleted as after LOST.
        this.leftBehind.push({ path: node.path });
      }
    } finally {
      // A check under way deletes any node it creates from now on; wait for it.
      await this.pass;
    }
    await this.deleteUncertainNode();
    try {
      await this.deleteLeftBehind();
    } catch (error) {
      // A lost session's node goes once the ensemble expires that session.
      if (!isConnectionTrouble(error)) throw error;
    }
  }

  private readonly onState = (event: ZkStateEvent): void => {
    switch (event) {
      case 'SUSPENDED':
        if (this.current !== null) {
          safeEmit(this, 'LeaderLatch', 'suspended', this.current);
          if (endsHolding(event, this.policy)) this.revoke('SUSPENDED');
        }
        return;
      case 'RECONNECTED':
        this.verifyOnly = true;
        this.participate();
        return;
      case 'LOST':
        // The session should take our node, and any node an unanswered create made, with
        // it; they are deleted before the next join in case the ensemble still keeps it.
        if (this.node !== null) this.leftBehind.push({ path: this.node.path });
        if (this.uncertainCreate !== null) {
          this.leftBehind.push({ prefix: this.uncertainCreate.prefix });
        }
        this.uncertainCreate = null;
        this.loseNode('LOST');
        return;
      case 'CONNECTED':
        this.participate();
        return;
      case 'CLOSED':
        this.loseNode('CLOSED');
        return;
    }
  };

  /** Runs a check of our place in the queue, or asks the one under way for another. */
  private participate(): void {
    if (this.lifecycle.state !== 'STARTED') return;
    if (this.pass !== null) {
      this.again = true;
      return;
    }
    this.pass = this.checkUntilSettled();
  }

  /**
   * Checks until no check is asked for. `pass` is cleared here, in the same step as the
   * loop's last look at `again`: clearing it in a callback once the promise settled left a
   * few microtasks in which a request (a predecessor's deletion, say) was taken as folded
   * into this pass, which had already ended, and nobody ran it.
   */
  private async checkUntilSettled(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.check();
        } catch (error) {
          this.onCheckFailed(error);
        }
      } while (this.again && this.lifecycle.state === 'STARTED');
    } finally {
      this.pass = null;
    }
  }

  /** One look at the queue: join if needed, then lead or watch the node just ahead. */
  private async check(): Promise<void> {
    if (this.lifecycle.state !== 'STARTED' || this.client.state !== 'CONNECTED') return;
    if (this.node !== null && this.verifyOnly) {
      this.verifyOnly = false;
      await this.verify(this.node);
      return;
    }
    this.verifyOnly = false;
    const node = this.node ?? (await this.join());
    if (node === null) return;

    const queue = participantQueue(await this.client.getChildren(this.path));
    if (this.node !== node) return; // lost or closed meanwhile; the event asked for another check
    const position = queue.indexOf(node.name);
    if (position < 0) {
      this.loseNode('NODE_DELETED');
      this.again = true;
      return;
    }
    node.first = position === 0;
    node.watching = false;
    const ahead = queue[position - 1];
    if (ahead === undefined) {
      await this.lead(node);
      return;
    }
    const generation = ++this.predecessorWatch;
    const stat = await this.watchedStat(childPath(this.path, ahead), (event) =>
      this.onPredecessorEvent(generation, event),
    );
    if (this.node !== node) return;
    // Gone between the list and the watch: look again rather than wait for nothing.
    if (stat === null) this.again = true;
    else node.watching = generation === this.predecessorWatch;
  }

  /**
   * The node's stat with a watch on it, or null (and no watch) when it does not exist. A
   * getData, not an exists: the server keeps an exists watch on a missing node, and these
   * sequential names never come back, so it would stay for the session's life (Curator's
   * LockInternals and kazoo's Lock read the predecessor the same way).
   */
  private async watchedStat(
    path: string,
    watch: (event: WatchEvent) => void,
  ): Promise<Stat | null> {
    try {
      return (await this.client.getData(path, { watch })).stat;
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  /**
   * After RECONNECTED: is our node still there? If so, a node that was first is first
   * still, and a follower's watch on the node ahead was restored by the client; a follower
   * whose watch was not set yet looks at the queue again.
   */
  private async verify(node: OwnNode): Promise<void> {
    const stat = await this.client.exists(node.path);
    if (this.node !== node) return;
    if (stat === null) {
      this.loseNode('NODE_DELETED');
      this.again = true;
    } else if (node.first) {
      await this.lead(node);
    } else if (!node.watching) {
      this.again = true;
    }
  }

  /** Creates our node (or finds the one an unanswered create made). Null when stale. */
  private async join(): Promise<OwnNode | null> {
    await this.deleteLeftBehind();
    const sessionId = this.client.sessionId;
    if (!this.parentReady) {
      await this.client.ensurePath(this.path, this.acl);
      this.parentReady = true;
    }
    let path: string | undefined;
    const uncertain = this.uncertainCreate;
    if (uncertain !== null && uncertain.sessionId === sessionId) {
      const found = (await this.client.getChildren(this.path)).find((name) =>
        name.startsWith(uncertain.prefix),
      );
      if (found !== undefined) path = childPath(this.path, found);
    }
    if (path === undefined) {
      const prefix = `_c_${randomUUID()}-`;
      this.uncertainCreate = { prefix, sessionId };
      try {
        path = await this.client.create(
          childPath(this.path, `${prefix}${PARTICIPANT_NAME}`),
          this.id,
          { mode: CreateMode.EPHEMERAL_SEQUENTIAL, ...(this.acl ? { acl: this.acl } : {}) },
        );
      } catch (error) {
        if (!(error instanceof ConnectionLossError)) this.uncertainCreate = null;
        if (error instanceof NoNodeError) {
          // The election's parent was deleted: make it again.
          this.parentReady = false;
          this.again = true;
          return null;
        }
        throw error;
      }
    }
    this.uncertainCreate = null;
    if (this.client.sessionId !== sessionId) {
      // The session changed during the join (a read of it was answered in the new one): the
      // node is ours all the same, in whichever session, and would block the queue
      // untracked. Delete it before joining again.
      this.leftBehind.push({ path });
      this.again = true;
      return null;
    }
    if (this.lifecycle.state !== 'STARTED') {
      await this.deleteNode(path, sessionId);
      return null;
    }
    this.node = {
      path,
      name: path.slice(path.lastIndexOf('/') + 1),
      sessionId,
      first: false,
      watching: false,
    };
    return this.node;
  }

  /** Our node is first: lead, unless we already do with it. */
  private async lead(node: OwnNode): Promise<void> {
    if (this.current?.nodePath === node.path) return;
    // Watching our own node tells a leader at once when someone else deletes it; its stat
    // gives the token.
    const stat = await this.watchOwnNode(node);
    if (this.node !== node || stat === null || this.client.state !== 'CONNECTED') return;
    if (this.current?.nodePath === node.path) return;
    const leadership: Leadership = {
      token: stat.czxid,
      nodePath: node.path,
      participantId: this.id,
      sessionId: node.sessionId,
    };
    this.current = leadership;
    for (const waiter of this.waiters) waiter.resolve(leadership);
    safeEmit(this, 'LeaderLatch', 'elected', leadership);
  }

  private async watchOwnNode(node: OwnNode): Promise<Stat | null> {
    const generation = ++this.ownNodeWatch;
    const stat = await this.watchedStat(node.path, (event) =>
      this.onOwnNodeEvent(generation, node, event),
    );
    if (stat === null && this.node === node) {
      this.loseNode('NODE_DELETED');
      this.again = true;
    }
    return stat;
  }

  private onOwnNodeEvent(generation: number, node: OwnNode, event: WatchEvent): void {
    // None events (Expired, Closed) are the state listener's business.
    if (generation !== this.ownNodeWatch || this.node !== node || event.type === EventType.None) {
      return;
    }
    if (event.type === EventType.NodeDeleted) {
      this.loseNode('NODE_DELETED');
      this.participate();
      return;
    }
    // Its data changed (not by us): keep watching.
    this.watchOwnNode(node).catch((error: unknown) => this.onCheckFailed(error));
  }

  private onPredecessorEvent(generation: number, event: WatchEvent): void {
    if (generation !== this.predecessorWatch || event.type === EventType.None) return;
    if (this.node !== null) this.node.watching = false;
    this.participate();
  }

  /** Our node is gone (or given up): forget it and revoke leadership. */
  private loseNode(reason: RevocationReason): void {
    this.node = null;
    this.revoke(reason);
  }

  private revoke(reason: RevocationReason): void {
    const leadership = this.current;
    if (leadership === null) return;
    this.current = null;
    safeEmit(this, 'LeaderLatch', 'revoked', { reason, leadership });
  }

  private onCheckFailed(error: unknown): void {
    if (error instanceof ConnectionLossError || error instanceof SessionExpiredError) {
      // RECONNECTED or CONNECTED brings the next check. If the client is connected again
      // already, that event has passed: look again shortly.
      if (this.client.state === 'CONNECTED') this.retrySoon();
      return;
    }
    if (error instanceof ClientClosedError) {
      this.loseNode('CLOSED');
      return;
    }
    this.report(error instanceof Error ? error : new Error(String(error)));
  }

  private retrySoon(): void {
    if (this.retryTimer !== null || this.lifecycle.state !== 'STARTED') return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.participate();
    }, RETRY_DELAY_MS);
  }

  private report(error: Error): void {
    if (this.listenerCount('error') > 0) {
      safeEmit(this, 'LeaderLatch', 'error', error);
    } else {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** Deletes a node of ours; nothing to do once its session is gone. */
  private deleteNode(path: string, sessionId: bigint): Promise<void> {
    return this.client.deleteGuaranteed(path, {
      attempts: DELETE_ATTEMPTS,
      stillNeeded: () => this.client.sessionId === sessionId,
    });
  }

  /** Deletes the nodes of lost sessions (LeftBehind); connection trouble leaves the rest for later. */
  private async deleteLeftBehind(): Promise<void> {
    for (let left = this.leftBehind[0]; left !== undefined; left = this.leftBehind[0]) {
      let path: string | undefined = 'path' in left ? left.path : undefined;
      try {
        if ('prefix' in left) {
          const found = (await this.client.getChildren(this.path)).find((name) =>
            name.startsWith(left.prefix),
          );
          if (found !== undefined) path = childPath(this.path, found);
        }
        if (path !== undefined) await this.client.delete(path);
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      this.leftBehind.shift();
    }
  }

  /** On close: a create whose answer was lost may have left a node; find it and delete it. */
  private async deleteUncertainNode(): Promise<void> {
    const uncertain = this.uncertainCreate;
    this.uncertainCreate = null;
    if (uncertain === null || uncertain.sessionId !== this.client.sessionId) return;
    let children: string[];
    try {
      children = await this.client.getChildren(this.path);
    } catch (error) {
      if (
        error instanceof NoNodeError ||
        error instanceof SessionExpiredError ||
        error instanceof ClientClosedError
      ) {
        return;
      }
      throw error;
    }
    const found = children.find((name) => name.startsWith(uncertain.prefix));
    if (found !== undefined)
      await this.deleteNode(childPath(this.path, found), uncertain.sessionId);
  }
}

function isConnectionTrouble(error: unknown): boolean {
  return (
    error instanceof ConnectionLossError ||
    error instanceof SessionExpiredError ||
    error instanceof ClientClosedError
  );
}

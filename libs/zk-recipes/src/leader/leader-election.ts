import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import { type ConnectionPolicy } from '../common/connection-policy';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import { LeadershipLostError, type RevocationReason } from './errors';
import { LeaderLatch, type Leadership, type Revocation } from './leader-latch';
import {
  type Participant,
  readLeader,
  readParticipants,
  validateElectionPath,
} from './participants';

/** What the leadership function is given: its term, and a signal that aborts when it ends. */
export interface ElectedLeadership extends Leadership {
  /** Aborts (with a LeadershipLostError) when leadership is revoked or the election closes. */
  readonly signal: AbortSignal;
}

/**
 * Runs while this participant leads. Return (or throw) to give leadership up; stop soon
 * after `signal` aborts, since leadership is handed over only once it has settled.
 */
export type LeadershipFunction = (leadership: ElectedLeadership) => Promise<void>;

export interface LeaderElectionOptions {
  /** This participant's id, stored as its node's data. Default: a random UUID. */
  id?: string;
  /** When leadership ends on connection trouble (see ConnectionPolicy). Default 'standard'. */
  policy?: ConnectionPolicy;
  /** Compete again (at the back of the queue) after each term. Default false. */
  autoRequeue?: boolean;
}

/** A term that is over. */
export interface LeadershipEnd {
  readonly leadership: Leadership;
  /** Why the signal was aborted during the term, or null when the function ended by itself. */
  readonly revoked: RevocationReason | null;
  /** Whether the function threw, and what. */
  readonly threw: boolean;
  readonly error: unknown;
}

export interface LeaderElectionEvents {
  /** This participant leads; the leadership function starts. */
  elected: [leadership: Leadership];
  /** The leadership function settled and leadership was given up. */
  relinquished: [end: LeadershipEnd];
  /** As LeaderLatch's 'error' (rethrown on the next tick without a listener). */
  error: [error: Error];
}

interface Term {
  readonly latch: LeaderLatch;
  readonly leadership: Leadership;
  readonly controller: AbortController;
  revoked: RevocationReason | null;
  done: Promise<void>;
}

/**
 * LeaderElection: Curator's LeaderSelector. Participants queue as LeaderLatch's do; the
 * first runs the leadership function, and leadership passes to the next participant when
 * that function returns or throws. With `autoRequeue` the participant then joins the queue
 * again, at the back; without it, `requeue()` does so once.
 *
 * One term per queue entry: a term ends when the function settles, and only then is the
 * participant node deleted, so two leadership functions never run at once on behalf of the
 * same node. The function must therefore honour its signal.
 *
 * Connection trouble (through the connection policy):
 * - SUSPENDED: under 'standard' (the default) the signal aborts at once. The node stays
 *   until the function settles, so nobody else leads while it winds down unless the
 *   session is lost meanwhile. Under 'session' the function keeps running.
 * - LOST: the signal aborts at once (reason LOST, or SUSPENDED if that came first); the
 *   node is gone with the session, so another participant may lead already. This entry
 *   leaves the queue (its latch is closed, whichever event came first), so it does not
 *   join again by itself while the function winds down: a new one joins after the
 *   function settles, if `autoRequeue`.
 * - close(): aborts the signal (reason CLOSED), waits for the function to settle, then
 *   deletes the node; it resolves once leadership has been handed over.
 *
 * A function that ignores its signal holds the election up while the session lives: after
 * SUSPENDED its node stays until it settles. Once the session is lost, others lead.
 */
export class LeaderElection extends EventEmitter<LeaderElectionEvents> {
  /** This participant's id (its nodes' data). */
  readonly id: string;
  private readonly lifecycle = new Lifecycle('LeaderElection');
  private readonly policy: ConnectionPolicy;
  private readonly autoRequeue: boolean;
  /** The current queue entry, if this participant competes. */
  private latch: LeaderLatch | null = null;
  private term: Term | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly client: ZkClient,
    /** The election's path; its children are the participants. */
    readonly path: string,
    private readonly leadershipFunction: LeadershipFunction,
    options: LeaderElectionOptions = {},
  ) {
    super();
    this.id = options.id ?? randomUUID();
    this.policy = options.policy ?? 'standard';
    this.autoRequeue = options.autoRequeue ?? false;
    validateElectionPath(path);
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** Whether the leadership function runs and its leadership was not revoked. */
  get hasLeadership(): boolean {
    return this.term !== null && this.term.revoked === null;
  }

  /**
   * Joins the election. Async, as every recipe's start(); it resolves at once.
   * Rejects with RecipeStateError when started before or closed.
   */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.lifecycle.start();
      this.client.on('state', this.onState);
      this.compete();
      resolve();
    });
  }

  /**
   * Joins the queue again when this participant is not in it (after a term without
   * `autoRequeue`). Returns whether it joined.
   */
  requeue(): boolean {
    this.lifecycle.assertStarted();
    if (this.latch !== null) return false;
    this.compete();
    return true;
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
   * Leaves the election: aborts a running leadership function's signal, waits for it to
   * settle, and deletes the node. Idempotent.
   */
  close(): Promise<void> {
    if (!this.lifecycle.close()) return this.closing ?? Promise.resolve();
    this.closing = this.leave();
    return this.closing;
  }

  private async leave(): Promise<void> {
    this.client.off('state', this.onState);
    const term = this.term;
    if (term !== null) {
      this.abort(term, 'CLOSED');
      await term.done; // closes the latch
    } else {
      await this.latch?.close();
    }
    this.latch = null;
  }

  private compete(): void {
    const latch = new LeaderLatch(this.client, this.path, { id: this.id, policy: this.policy });
    this.latch = latch;
    latch.on('elected', (leadership) => this.lead(latch, leadership));
    latch.on('revoked', (revocation) => this.onRevoked(latch, revocation));
    latch.on('error', (error) => this.report(error));
    // A fresh latch: its start() rejects with nothing, and resolves at once.
    latch.start().catch((error: unknown) => this.report(error as Error));
  }

  private lead(latch: LeaderLatch, leadership: Leadership): void {
    // One term per entry: a latch that leads again after a revocation, while its function
    // still winds down, starts nothing new.
    if (latch !== this.latch || this.term !== null || this.lifecycle.state !== 'STARTED') return;
    const term: Term = {
      latch,
      leadership,
      controller: new AbortController(),
      revoked: null,
      done: Promise.resolve(),
    };
    this.term = term;
    safeEmit(this, 'LeaderElection', 'elected', leadership);
    term.done = this.run(term);
  }

  private async run(term: Term): Promise<void> {
    let threw = false;
    let error: unknown;
    try {
      await this.leadershipFunction({ ...term.leadership, signal: term.controller.signal });
    } catch (thrown) {
      threw = true;
      error = thrown;
    }
    // Deleting the node hands leadership to the next participant.
    try {
      await term.latch.close();
    } catch (closeError) {
      this.report(closeError instanceof Error ? closeError : new Error(String(closeError)));
    }
    this.term = null;
    if (this.latch === term.latch) this.latch = null;
    safeEmit(this, 'LeaderElection', 'relinquished', {
      leadership: term.leadership,
      revoked: term.revoked,
      threw,
      error,
    });
    if (this.autoRequeue && this.lifecycle.state === 'STARTED') this.compete();
  }

  /**
   * LOST while a term runs: its latch may have been revoked already (SUSPENDED, under
   * 'standard'), and would then join again with the new session, behind nothing, while the
   * function still winds down: its node would reach the front and lead nobody. Leave.
   */
  private readonly onState = (event: ZkStateEvent): void => {
    const term = this.term;
    if (event !== 'LOST' || term === null || term.latch !== this.latch) return;
    this.abort(term, 'LOST');
    this.closeEntry(term.latch);
  };

  private onRevoked(latch: LeaderLatch, revocation: Revocation): void {
    const term = this.term;
    if (term === null || term.latch !== latch || revocation.reason === 'CLOSED') return;
    this.abort(term, revocation.reason);
    // With its node gone, this entry must not join again by itself while the function
    // winds down; a new entry joins after it, if autoRequeue.
    if (revocation.reason !== 'SUSPENDED') this.closeEntry(latch);
  }

  /** Takes this entry out of the queue; the term's end awaits the same close(). */
  private closeEntry(latch: LeaderLatch): void {
    latch.close().catch((error: unknown) => {
      this.report(error instanceof Error ? error : new Error(String(error)));
    });
  }

  private abort(term: Term, reason: RevocationReason): void {
    if (term.revoked !== null) return;
    term.revoked = reason;
    term.controller.abort(new LeadershipLostError(reason));
  }

  private report(error: Error): void {
    if (this.listenerCount('error') > 0) {
      safeEmit(this, 'LeaderElection', 'error', error);
    } else {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}

/**
 * MasterElection: the masters compete through one LeaderLatch on `/election`. The winner
 * runs a LeaderTerm until the latch revokes it (SUSPENDED under the 'standard' policy, LOST,
 * or close); the others stand by and log who leads whenever that changes.
 *
 * Fenced (review F1): when the term's transaction is refused by the fence, the master
 * leaves the election for real. It closes its latch (its node is deleted, so another master
 * may lead at once) and joins again with a new latch at the back of the queue. Whoever leads
 * next, this master or another, starts a new term with a fresh claim. Keeping the latch
 * while not scheduling is never a state this class stays in.
 */
import { type ACL, type ZkClient } from '@zk-lab/zk-client';
import { ChildrenCache, LeaderLatch, type Leadership } from '@zk-lab/zk-recipes';
import { type LabConfig, type LogSink, PATHS } from '@zk-lab/lab-core';
import {
  type FenceReason,
  LeaderTerm,
  RECONCILE_INTERVAL_MS,
  type TermView,
} from '../scheduling/leader-term';
import { type MasterMetrics, resetLeaderGauges } from '../master-metrics';

export type MasterRole = 'starting' | 'leader' | 'follower' | 'stopped';

const RESTART_TERM_AFTER_MS = 500;
/** A leader whose last round is older than this many reconcile intervals is stalled. */
export const STALLED_AFTER_ROUNDS = 5;

/** What the probes see of the scheduler. */
export interface SchedulerHealth {
  role: MasterRole;
  /** Leader only: whether a term runs (claimed and armed). */
  termRunning: boolean | null;
  /** Leader only: milliseconds since the last completed round (or the term's start). */
  lastRoundAgeMs: number | null;
  /** Why the scheduler is not healthy, or null when it is. */
  problem: string | null;
  /** The last fence problem, for the alarm: when (ms since the epoch) and what. */
  lastFence: { at: number; reason: FenceReason } | null;
}

export interface MasterElectionDeps {
  id: string;
  client: ZkClient;
  config: () => LabConfig;
  acl: readonly ACL[];
  metrics: MasterMetrics;
  log: LogSink & { debug(obj: object, msg: string): void };
}

export class MasterElection {
  private latch: LeaderLatch;
  private lastFence: { at: number; reason: FenceReason } | null = null;
  private leaderSince = 0;
  private readonly participants: ChildrenCache;
  private term: LeaderTerm | null = null;
  private lastTerm: LeaderTerm | null = null;
  private knownLeader: string | null = null;
  private _role: MasterRole = 'starting';

  constructor(private readonly deps: MasterElectionDeps) {
    this.latch = this.newLatch();
    this.participants = new ChildrenCache(deps.client, PATHS.election);
    const refresh = (): void => void this.refreshLeader();
    this.participants.on('added', refresh);
    this.participants.on('removed', refresh);
    this.participants.on('initialized', refresh);
    this.participants.on('error', (error) =>
      deps.log.error({ err: error }, 'reading the election failed'),
    );
  }

  /** A latch whose events count only while it is the current one. */
  private newLatch(): LeaderLatch {
    const latch = new LeaderLatch(this.deps.client, PATHS.election, {
      id: this.deps.id,
      acl: this.deps.acl,
    });
    latch.on('elected', (leadership) => {
      if (latch === this.latch) this.lead(leadership);
    });
    latch.on('revoked', ({ reason }) => {
      if (latch === this.latch) this.stepDown(reason);
    });
    latch.on('error', (error) => this.deps.log.error({ err: error }, 'election error'));
    return latch;
  }

  get role(): MasterRole {
    return this._role;
  }

  get leaderId(): string | null {
    return this._role === 'leader' ? this.deps.id : this.knownLeader;
  }

  /** The current term, or the last one, for /status. */
  termView(): TermView | null {
    return (this.term ?? this.lastTerm)?.view() ?? null;
  }

  /** The scheduler as the probes see it: a leader must run a term that completes rounds. */
  health(): SchedulerHealth {
    const base = { role: this._role, lastFence: this.lastFence };
    if (this._role !== 'leader') {
      return { ...base, termRunning: null, lastRoundAgeMs: null, problem: null };
    }
    const term = this.term;
    const running = term?.running ?? false;
    const age = term !== null && running ? term.sinceLastRoundMs() : Date.now() - this.leaderSince;
    const limit = STALLED_AFTER_ROUNDS * RECONCILE_INTERVAL_MS;
    let problem: string | null = null;
    if (age > limit) {
      problem = running
        ? `leader whose last round completed ${Math.round(age)} ms ago (limit ${limit} ms)`
        : `leader with no running term for ${Math.round(age)} ms (limit ${limit} ms)`;
    }
    return { ...base, termRunning: running, lastRoundAgeMs: Math.round(age), problem };
  }

  async start(): Promise<void> {
    this._role = 'follower';
    await this.latch.start();
    await this.participants.start();
  }

  /** Leaves the election: a follower takes over at once. */
  async close(): Promise<void> {
    this._role = 'stopped';
    this.term?.stop();
    await this.participants.close();
    await this.latch.close();
  }

  private lead(leadership: Leadership): void {
    this._role = 'leader';
    this.leaderSince = Date.now();
    this.deps.metrics.isLeader.set(1);
    this.deps.log.info(
      { token: leadership.token.toString() },
      `elected leader (master ${this.deps.id})`,
    );
    this.startTerm(leadership);
  }

  private startTerm(leadership: Leadership): void {
    const term = new LeaderTerm({
      client: this.deps.client,
      config: this.deps.config,
      acl: this.deps.acl,
      metrics: this.deps.metrics,
      log: this.deps.log,
      leaderNode: leadership.nodePath,
      onFenced: (reason) => {
        if (this.term === term) this.rejoin(reason);
      },
    });
    this.term = term;
    this.lastTerm = term;
    term.start().catch((error: unknown) => {
      term.stop();
      if (this.term !== term) return;
      this.term = null;
      this.deps.log.warn({ err: error }, 'could not start the term; trying again');
      setTimeout(() => {
        const current = this.latch.leadership;
        if (this.term === null && current?.nodePath === leadership.nodePath) {
          this.startTerm(current);
        }
      }, RESTART_TERM_AFTER_MS);
    });
  }

  /**
   * Fenced: leave the election for real (the latch's node goes, so another master may lead)
   * and join again at the back of the queue with a new latch.
   */
  private rejoin(reason: FenceReason): void {
    this.lastFence = { at: Date.now(), reason };
    this.deps.log.error(
      { reason },
      reason === 'fenced'
        ? 'fenced: /epoch moved on; leaving the election and joining again'
        : 'the fence /epoch is gone or unreadable; leaving the election and joining again',
    );
    const old = this.latch;
    this.latch = this.newLatch();
    this.stepDown('FENCED');
    old
      .close()
      .catch((error: unknown) =>
        this.deps.log.warn({ err: error }, 'leaving the election after the fence failed'),
      );
    if (this._role !== 'stopped') {
      this.latch
        .start()
        .catch((error: unknown) =>
          this.deps.log.error({ err: error }, 'joining the election again failed'),
        );
    }
  }

  private stepDown(reason: string): void {
    this.term?.stop();
    this.term = null;
    resetLeaderGauges(this.deps.metrics);
    if (this._role === 'stopped') return;
    this._role = 'follower';
    this.deps.log.warn({ reason }, `leadership revoked (${reason}); scheduling stopped`);
    void this.refreshLeader();
  }

  private async refreshLeader(): Promise<void> {
    if (this._role === 'stopped') return;
    let leader: string | null;
    try {
      leader = (await this.latch.getLeader())?.id ?? null;
    } catch (error) {
      this.deps.log.debug({ err: error }, 'could not read the leader');
      return;
    }
    if (leader === this.knownLeader) return;
    this.knownLeader = leader;
    if (leader !== null && leader !== this.deps.id) {
      this.deps.log.info({ leaderId: leader }, `following: master ${leader} leads`);
    } else if (leader === null) {
      this.deps.log.warn({}, 'no master leads at the moment');
    }
  }
}

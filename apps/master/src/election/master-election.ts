/**
 * MasterElection: the masters compete through one LeaderLatch on `/election`. The winner
 * runs a LeaderTerm until the latch revokes it (SUSPENDED under the 'standard' policy, LOST,
 * or close); the others stand by and log who leads whenever that changes.
 */
import { type ACL, type ZkClient } from '@zk-lab/zk-client';
import { ChildrenCache, LeaderLatch, type Leadership } from '@zk-lab/zk-recipes';
import { type LabConfig, type LogSink, PATHS } from '@zk-lab/lab-core';
import { LeaderTerm, type TermView } from '../scheduling/leader-term';
import type { MasterMetrics } from '../master-metrics';

export type MasterRole = 'starting' | 'leader' | 'follower' | 'stopped';

const RESTART_TERM_AFTER_MS = 500;

export interface MasterElectionDeps {
  id: string;
  client: ZkClient;
  config: () => LabConfig;
  acl: readonly ACL[];
  metrics: MasterMetrics;
  log: LogSink & { debug(obj: object, msg: string): void };
}

export class MasterElection {
  private readonly latch: LeaderLatch;
  private readonly participants: ChildrenCache;
  private term: LeaderTerm | null = null;
  private lastTerm: LeaderTerm | null = null;
  private knownLeader: string | null = null;
  private _role: MasterRole = 'starting';

  constructor(private readonly deps: MasterElectionDeps) {
    this.latch = new LeaderLatch(deps.client, PATHS.election, { id: deps.id, acl: deps.acl });
    this.participants = new ChildrenCache(deps.client, PATHS.election);
    this.latch.on('elected', (leadership) => this.lead(leadership));
    this.latch.on('revoked', ({ reason }) => this.stepDown(reason));
    this.latch.on('error', (error) => deps.log.error({ err: error }, 'election error'));
    const refresh = (): void => void this.refreshLeader();
    this.participants.on('added', refresh);
    this.participants.on('removed', refresh);
    this.participants.on('initialized', refresh);
    this.participants.on('error', (error) =>
      deps.log.error({ err: error }, 'reading the election failed'),
    );
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

  async start(): Promise<void> {
    this._role = 'follower';
    this.latch.start();
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
    this.deps.metrics.isLeader.set(1);
    this.deps.log.info(
      { token: leadership.token.toString() },
      `elected leader (master ${this.deps.id})`,
    );
    this.startTerm();
  }

  private startTerm(): void {
    const term = new LeaderTerm({
      client: this.deps.client,
      config: this.deps.config,
      acl: this.deps.acl,
      metrics: this.deps.metrics,
      log: this.deps.log,
      onFenced: () => {
        if (this.term === term) this.term = null;
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
        if (this.term === null && this.latch.hasLeadership) this.startTerm();
      }, RESTART_TERM_AFTER_MS);
    });
  }

  private stepDown(reason: string): void {
    this.term?.stop();
    this.term = null;
    this.deps.metrics.isLeader.set(0);
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

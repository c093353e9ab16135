/**
 * The leader-takeover trials of `bench system`. One trial: find the leading master (its
 * GET /status), send it a signal, and time until `/epoch` has a newer version, which is
 * the other master's epoch claim: it leads, and every write of the old leader's term is
 * fenced from then on. `/epoch` is watched (one-shot exists watch, re-armed) from the
 * admin client and polled every 50 ms as a backstop. Then the signalled master is started
 * again with the same id and port, and the next trial waits until it follows.
 *
 * SIGTERM: the master leaves the election as it stops, so the other takes over at once.
 * SIGKILL: its latch node stays until its session expires: the session timeout dominates.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PATHS } from '@zk-lab/lab-core';
import {
  AddWatchMode,
  EventType,
  type Stat,
  type WatchEvent,
  type WatchHandle,
  type ZkClient,
} from '@zk-lab/zk-client';
import { AdminJobs } from './admin-jobs';
import { type AppProcess, describeExit } from './system-apps';

export type TakeoverSignal = 'SIGTERM' | 'SIGKILL';
export const TAKEOVER_SIGNALS: readonly TakeoverSignal[] = ['SIGTERM', 'SIGKILL'];

/** The part of a master's GET /status read here (apps/master/src/master-status.ts). */
interface MasterStatus {
  state: string;
  leaderId: string | null;
  epoch: number | null;
  totals: { rounds: number; assigned: number } | null;
}

/** What the leading master did in its term so far: scheduling rounds and jobs assigned. */
export interface LeaderTotals {
  id: string;
  rounds: number;
  assigned: number;
}

export async function leaderTotals(masters: readonly MasterSlot[]): Promise<LeaderTotals | null> {
  for (const master of masters) {
    const status = await master.process.getJson<MasterStatus>('/status');
    if (status?.state === 'leader' && status.totals) {
      return { id: master.id, rounds: status.totals.rounds, assigned: status.totals.assigned };
    }
  }
  return null;
}

/** A master of the bench: its id and port stay, its process changes at every restart. */
export interface MasterSlot {
  id: string;
  port: number;
  process: AppProcess;
}

export interface TakeoverTrial {
  signal: TakeoverSignal;
  trial: number;
  killed: string;
  /** Signal → `/epoch` version moved on; null when it did not within the timeout. */
  takeoverMs: number | null;
  /**
   * Signal → the first task the new leader created (a task node created after the `/epoch`
   * change, as the admin's watches saw them, in the servers' order), while a job was
   * enqueued every FEED_INTERVAL_MS; null when none came within the timeout.
   */
  firstAssignmentMs: number | null;
  /** Which saw the move first: the watch, or the 50 ms poll. */
  seenBy: 'watch' | 'poll' | null;
  /** How many versions `/epoch` moved on: 1 unless a leader claimed more than once. */
  epochClaims: number;
  newLeader: string | null;
  newEpoch: number | null;
  /** How the signalled master ended, and when after the signal. */
  oldExit: string;
  oldExitMs: number | null;
  /** Restart → it follows the new leader. */
  rejoinMs: number | null;
  error: string | null;
}

const EPOCH_POLL_MS = 50;
/** How often the feed enqueues a job during a trial, so that a new leader has work at once. */
export const FEED_INTERVAL_MS = 10;
/** How long after the signal a trial waits for the new leader's first assignment, beyond the takeover's own limit. */
const ASSIGNMENT_GRACE_MS = 5_000;

export class TakeoverTrials {
  constructor(
    private readonly client: ZkClient,
    private readonly masters: MasterSlot[],
    private readonly restart: (slot: MasterSlot) => AppProcess,
    private readonly takeoverTimeoutMs: number,
    private readonly say: (line: string) => void,
  ) {}

  /** The leading master, once exactly one leads and the others follow it. */
  async leader(timeoutMs = 30_000): Promise<MasterSlot> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const statuses = await Promise.all(
        this.masters.map((m) => m.process.getJson<MasterStatus>('/status')),
      );
      const leaders = this.masters.filter((_, i) => statuses[i]?.state === 'leader');
      const leader = leaders[0];
      if (
        leaders.length === 1 &&
        leader !== undefined &&
        statuses.every(
          (s, i) =>
            this.masters[i] === leader || (s?.state === 'follower' && s.leaderId === leader.id),
        )
      ) {
        return leader;
      }
      if (performance.now() > deadline) {
        throw new Error(
          `no single leader followed by the others within ${timeoutMs / 1000} s: ` +
            JSON.stringify(statuses.map((s) => s && { state: s.state, leaderId: s.leaderId })),
        );
      }
      await sleep(100);
    }
  }

  async run(signal: TakeoverSignal, trial: number): Promise<TakeoverTrial> {
    const leader = await this.leader();
    const others = this.masters.filter((m) => m !== leader);
    const result: TakeoverTrial = {
      signal,
      trial,
      killed: leader.id,
      takeoverMs: null,
      firstAssignmentMs: null,
      seenBy: null,
      epochClaims: 0,
      newLeader: null,
      newEpoch: null,
      oldExit: '',
      oldExitMs: null,
      rejoinMs: null,
      error: null,
    };
    const epochMove = new EpochMove(this.client);
    const base = await epochMove.arm();
    const firstAssignment = await FirstAssignment.arm(this.client);
    const signalledAt = performance.now();
    leader.process.signal(signal);
    const assignmentLimitMs = this.takeoverTimeoutMs + ASSIGNMENT_GRACE_MS;
    const assigned = firstAssignment.wait(assignmentLimitMs);
    const exited = leader.process.exited.then((exit) => ({
      exit,
      ms: Math.round(performance.now() - signalledAt),
    }));
    const moved = await epochMove.wait(signalledAt, this.takeoverTimeoutMs);
    if (moved === null) {
      result.error = `/epoch did not move on within ${this.takeoverTimeoutMs / 1000} s`;
    } else {
      result.takeoverMs = Math.round(moved.at - signalledAt);
      result.seenBy = moved.via;
    }

    const assignedAt = await assigned;
    if (assignedAt === null) {
      result.error ??= `the new leader assigned nothing within ${assignmentLimitMs / 1000} s`;
    } else {
      result.firstAssignmentMs = Math.round(assignedAt - signalledAt);
    }

    // The old master should be gone by now; a SIGTERM that does not end it is odd: note it.
    const ended = await Promise.race([exited, sleep(15_000).then(() => null)]);
    if (ended === null) {
      result.oldExit = `still running 15 s after ${signal}: SIGKILLed`;
      await leader.process.stop();
    } else {
      result.oldExit = describeExit(ended.exit);
      result.oldExitMs = ended.ms;
    }
    try {
      const { data, stat } = await this.client.getData(PATHS.epoch);
      result.epochClaims = stat.version - base.version;
      result.newEpoch = Number(data.toString('utf8'));
    } catch (error) {
      result.error ??= `reading /epoch: ${(error as Error).message}`;
    }
    for (const other of others) {
      const status = await other.process.getJson<MasterStatus>('/status');
      if (status?.state === 'leader') result.newLeader = other.id;
    }

    const restartedAt = performance.now();
    leader.process = this.restart(leader);
    try {
      await this.waitUntilFollowing(leader, result.newLeader);
      result.rejoinMs = Math.round(performance.now() - restartedAt);
    } catch (error) {
      result.error ??= (error as Error).message;
    }
    this.say(
      `${signal} ${trial}: ${leader.id} → ${result.newLeader ?? '?'} ` +
        `${result.takeoverMs === null ? 'no takeover' : `in ${result.takeoverMs} ms`}, ` +
        `first assignment after ${result.firstAssignmentMs ?? '?'} ms ` +
        `(seen by ${result.seenBy ?? '-'}, epoch ${result.newEpoch ?? '?'}, old master ${result.oldExit}` +
        `${result.oldExitMs === null ? '' : ` after ${result.oldExitMs} ms`}); ` +
        `back as follower in ${result.rejoinMs ?? '?'} ms`,
    );
    return result;
  }

  /** Until the restarted master follows `leaderId` and both masters are in the election. */
  private async waitUntilFollowing(slot: MasterSlot, leaderId: string | null): Promise<void> {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const status = await slot.process.getJson<MasterStatus>('/status');
      const participants = await this.client.getChildren(PATHS.election).catch(() => []);
      if (
        status?.state === 'follower' &&
        status.leaderId !== null &&
        (leaderId === null || status.leaderId === leaderId) &&
        participants.length === this.masters.length
      ) {
        return;
      }
      if (!slot.process.running) throw new Error(`${slot.id} exited after its restart`);
      if (performance.now() > deadline) {
        throw new Error(
          `${slot.id} did not follow within 30 s of its restart (status ${JSON.stringify(status)}, ` +
            `${participants.length} in the election)`,
        );
      }
      await sleep(100);
    }
  }
}

/** Waits for `/epoch` to get a newer version than when armed, by watch or by poll. */
class EpochMove {
  private base: Stat | null = null;
  private settle: ((moved: { at: number; via: 'watch' | 'poll' }) => void) | null = null;
  private done = false;

  constructor(private readonly client: ZkClient) {}

  /** Reads the current version and leaves a watch on it. */
  async arm(): Promise<Stat> {
    const stat = await this.client.exists(PATHS.epoch, { watch: (e) => this.onWatch(e) });
    if (stat === null) throw new Error('/epoch does not exist: no leader has claimed an epoch');
    this.base = stat;
    return stat;
  }

  /** When it moved (performance.now()), or null after `timeoutMs` from `since`. */
  wait(since: number, timeoutMs: number): Promise<{ at: number; via: 'watch' | 'poll' } | null> {
    return new Promise((resolve) => {
      const finish = (moved: { at: number; via: 'watch' | 'poll' } | null): void => {
        if (this.done) return;
        this.done = true;
        clearInterval(poll);
        clearTimeout(timer);
        resolve(moved);
      };
      this.settle = finish;
      const poll = setInterval(() => {
        void this.client
          .exists(PATHS.epoch)
          .then((stat) => {
            if (this.movedOn(stat)) finish({ at: performance.now(), via: 'poll' });
          })
          .catch(() => undefined);
      }, EPOCH_POLL_MS);
      const timer = setTimeout(
        () => finish(null),
        Math.max(since + timeoutMs - performance.now(), 0),
      );
    });
  }

  private movedOn(stat: Stat | null): boolean {
    return stat !== null && this.base !== null && stat.version > this.base.version;
  }

  private onWatch(event: WatchEvent): void {
    if (this.done) return;
    const firedAt = performance.now();
    // Only an epoch claim changes /epoch's data: the version moved on.
    if (event.type === EventType.NodeDataChanged) {
      this.settle?.({ at: firedAt, via: 'watch' });
      return;
    }
    // Anything else (a session event): read it, re-arming the watch.
    void this.client
      .exists(PATHS.epoch, { watch: (e) => this.onWatch(e) })
      .then((stat) => {
        if (this.movedOn(stat)) this.settle?.({ at: firedAt, via: 'watch' });
      })
      .catch(() => undefined);
  }
}

/**
 * The new leader's first assignment after a signal. The admin client watches `/epoch`
 * (persistent) and `/assign` (persistent, recursive): one session gets its notifications in
 * the order of the changes, so a task node created after the `/epoch` change was created
 * in the new term (the old leader's transactions check `/epoch` and fail from then on).
 * Meanwhile a job is enqueued every FEED_INTERVAL_MS (an echo job from the producer's own
 * JobFactory, without the producer's marker), so the new leader has work the moment it leads.
 */
class FirstAssignment {
  private epochMoved = false;
  private feeding = true;
  private seen: (at: number) => void = () => undefined;
  private readonly assigned = new Promise<number>((resolve) => (this.seen = resolve));
  private readonly jobs: AdminJobs;
  private watches: WatchHandle[] = [];

  private constructor(client: ZkClient) {
    this.jobs = new AdminJobs(client, 'echo');
  }

  static async arm(client: ZkClient): Promise<FirstAssignment> {
    const watcher = new FirstAssignment(client);
    watcher.watches = await Promise.all([
      client.addWatch(PATHS.epoch, AddWatchMode.PERSISTENT, (e) => watcher.onEpoch(e)),
      client.addWatch(PATHS.assign, AddWatchMode.PERSISTENT_RECURSIVE, (e) => watcher.onAssign(e)),
    ]);
    void watcher.feed();
    return watcher;
  }

  /** performance.now() of the first task of the new term, or null after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<number | null> {
    const timeout = new AbortController();
    const at = await Promise.race([
      this.assigned,
      sleep(timeoutMs, null, { signal: timeout.signal }).catch(() => null),
    ]);
    timeout.abort();
    this.feeding = false;
    for (const handle of this.watches) void handle.remove().catch(() => undefined);
    return at;
  }

  private onEpoch(event: WatchEvent): void {
    if (event.type === EventType.NodeDataChanged) this.epochMoved = true;
  }

  private onAssign(event: WatchEvent): void {
    // /assign/<worker>/<task>: a task, not a worker's folder.
    const isTask = event.path.slice(PATHS.assign.length + 1).includes('/');
    if (event.type === EventType.NodeCreated && this.epochMoved && isTask) {
      this.seen(performance.now());
    }
  }

  private async feed(): Promise<void> {
    while (this.feeding) {
      await this.jobs.enqueue().catch(() => undefined);
      await sleep(FEED_INTERVAL_MS);
    }
  }
}

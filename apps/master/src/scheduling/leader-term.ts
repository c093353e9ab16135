/**
 * LeaderTerm: what the master does while it leads, from the epoch claim to the step-down.
 *
 * 1. Claim a new epoch (CAS increment of `/epoch`): every write of this term checks it.
 * 2. Run scheduling rounds until stopped. A round takes the system as the live view holds
 *    it (live-view.ts: kept from the watches' events), or reads it all (system-snapshot.ts)
 *    when the view says it must: at the start, every RECONCILE_INTERVAL_MS, and after
 *    anything the view cannot follow. It reconciles first (creates the task folder of each
 *    new worker, requeues the tasks of departed workers, buries strangers) and only then
 *    assigns queued jobs, in queue order, to live workers with free slots. The transitions
 *    of a round run pipelined.
 * 3. Rounds are level-triggered: persistent recursive watches on `/workers`, `/queue` and
 *    `/assign`, a RECONNECTED, and a timer (the periodic reconciliation, which also heals
 *    any notification lost to a connection drop) all ask for "one more round"; requests
 *    that arrive while a round runs are folded into a single next round.
 *
 * Connection trouble: the latch revokes leadership on SUSPENDED (the 'standard' policy) and
 * the election stops the term at once. A transaction refused by the fence (`/epoch` moved
 * on, this master's election node gone, or `/epoch` deleted) stops the term and calls
 * `onFenced`: the election then leaves and rejoins (master-election.ts), so that a leader
 * (this one or another) claims a fresh epoch. Stopping aborts a claim still in flight.
 */
import { performance } from 'node:perf_hooks';
import {
  AddWatchMode,
  type ACL,
  ClientClosedError,
  ConnectionLossError,
  SessionExpiredError,
  ZkError,
  type Transaction,
  type WatchEvent,
  type WatchHandle,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import {
  assignDir,
  isJobName,
  jobKey,
  type LabConfig,
  type LogSink,
  namespaceAcls,
  PATHS,
  queuePath,
  taskFolderAcl,
  taskPath,
} from '@zk-lab/lab-core';
import { planAssignments } from './assignment-plan';
import { claimEpoch, type EpochClaim, fencedMulti, fenceOps } from './epoch';
import { LiveView } from './live-view';
import { readSnapshot, type SystemSnapshot } from './system-snapshot';
import { RoundScheduler } from './round-scheduler';
import { type Done, type SettledOutcome, type TermTotals, TransitionLog } from './transition-log';
import { classify, TaskTransitions } from './task-transitions';
import type { MasterMetrics } from '../master-metrics';

export const RECONCILE_INTERVAL_MS = 2_000;
const RETRY_AFTER_ERROR_MS = 250;

export type { TermTotals } from './transition-log';

export interface TermView {
  epoch: number | null;
  queueDepth: number;
  workers: { id: string; capacity: number; assigned: number }[];
  totals: TermTotals;
}

export type FenceReason = 'fenced' | 'fence_broken';

export interface LeaderTermDeps {
  client: ZkClient;
  config: () => LabConfig;
  acl: readonly ACL[];
  metrics: MasterMetrics;
  log: LogSink & { debug(obj: object, msg: string): void };
  /** This leader's election node: every transaction checks that it still exists. */
  leaderNode?: string;
  /** Called once when a transaction was refused by the fence; the term has stopped. */
  onFenced: (reason: FenceReason) => void;
}

/** An error that says nothing about one node: the connection or the session went. */
function isConnectionError(error: unknown): boolean {
  return (
    error instanceof ConnectionLossError ||
    error instanceof SessionExpiredError ||
    error instanceof ClientClosedError
  );
}

export class LeaderTerm {
  private claim: EpochClaim | null = null;
  private transitions: TaskTransitions | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private watches: WatchHandle[] = [];
  private last: SystemSnapshot | null = null;
  private readonly scheduler: RoundScheduler;
  private readonly outcomes: TransitionLog;
  /**
   * Task nodes of live workers known to be well-formed: written by this term, or read and
   * checked once. Others (left by an older term, an older version, or a hand) are checked
   * in the next round, and the unreadable ones buried.
   */
  private readonly checkedTasks = new Set<string>();
  /** Queue nodes this term could not read (NoAuth, …): left out of the plan, reported. */
  private readonly unreadable = new Set<string>();
  /** The worker identity each task folder was given this term. */
  private readonly folderIdentity = new Map<string, string | null>();
  private readonly live = new LiveView(RECONCILE_INTERVAL_MS);

  constructor(private readonly deps: LeaderTermDeps) {
    this.outcomes = new TransitionLog(deps.metrics, deps.log, () => this.epoch);
    this.scheduler = new RoundScheduler({
      intervalMs: RECONCILE_INTERVAL_MS,
      retryAfterMs: RETRY_AFTER_ERROR_MS,
      round: () => this.round(),
      onRoundFailed: (error) =>
        this.deps.log.warn({ err: error }, 'scheduling round failed; trying again'),
    });
  }

  get epoch(): number | null {
    return this.claim?.epoch ?? null;
  }

  get totals(): TermTotals {
    return this.outcomes.totals;
  }

  /** Whether the term schedules: claimed, armed and not stopped. */
  get running(): boolean {
    return !this.stopped && this.transitions !== null;
  }

  /** Milliseconds since the last completed round (or since the start, before the first). */
  sinceLastRoundMs(): number {
    return this.scheduler.sinceLastRoundMs();
  }

  /** Claims the epoch, arms the triggers and runs the first round (the reconciliation). */
  async start(): Promise<void> {
    const { client, acl, log, metrics } = this.deps;
    const leaderNode = this.deps.leaderNode;
    this.claim = await claimEpoch(client, acl, {
      signal: this.abort.signal,
      ...(leaderNode === undefined ? {} : { leaderNode }),
    });
    if (this.stopped) return;
    metrics.epoch.set(this.claim.epoch);
    log.info({ epoch: this.claim.epoch }, `epoch ${this.claim.epoch} claimed; reconciling`);
    const onEvent = (event: WatchEvent): void => {
      this.live.onEvent(event);
      this.scheduler.trigger();
    };
    this.watches = await Promise.all(
      [PATHS.workers, PATHS.queue, PATHS.assign].map((path) =>
        client.addWatch(path, AddWatchMode.PERSISTENT_RECURSIVE, onEvent),
      ),
    );
    if (this.stopped) {
      this.releaseWatches();
      return;
    }
    this.transitions = new TaskTransitions(client, this.claim, namespaceAcls());
    client.on('state', this.onState);
    metrics.termRunning.set(1);
    this.scheduler.start();
  }

  /** Stops at once: no new transaction starts after this returns; a claim in flight aborts. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort(new Error('the term was stopped'));
    this.scheduler.stop();
    this.deps.metrics.termRunning.set(0);
    this.deps.client.off('state', this.onState);
    this.releaseWatches();
  }

  view(): TermView {
    const snapshot = this.last;
    return {
      epoch: this.epoch,
      queueDepth: snapshot?.queue.length ?? 0,
      workers: snapshot
        ? [...snapshot.workers.values()].map((w) => ({
            id: w.id,
            capacity: w.capacity,
            assigned: snapshot.tasks.get(w.id)?.length ?? 0,
          }))
        : [],
      totals: { ...this.totals },
    };
  }

  private readonly onState = (state: ZkStateEvent): void => {
    // Events may have been lost while the connection was down.
    if (state !== 'CONNECTED') this.live.invalidate();
    if (state === 'RECONNECTED') this.scheduler.trigger();
  };

  private releaseWatches(): void {
    for (const handle of this.watches) void handle.remove().catch(() => undefined);
    this.watches = [];
  }

  private async round(): Promise<void> {
    try {
      await this.roundOnce();
    } catch (error) {
      this.live.invalidate();
      throw error;
    }
  }

  /** The system as this round sees it: the live view, or a full read that renews it. */
  private async systemNow(): Promise<{ snapshot: SystemSnapshot; full: boolean }> {
    if (!this.live.needsFullRead()) return { snapshot: this.live.snapshot(), full: false };
    this.live.beginFullRead();
    try {
      this.live.endFullRead(await readSnapshot(this.deps.client));
    } catch (error) {
      this.live.abandonFullRead();
      throw error;
    }
    return { snapshot: this.live.snapshot(), full: true };
  }

  private async roundOnce(): Promise<void> {
    const began = performance.now();
    const { snapshot, full } = await this.systemNow();
    const read = performance.now();
    if (this.stopped) return;
    const { metrics } = this.deps;
    this.last = snapshot;
    this.totals.rounds++;
    metrics.rounds.inc();
    metrics.workersAlive.set(snapshot.workers.size);
    metrics.queueDepth.set(snapshot.queue.length);
    const config = this.deps.config();

    const reconciliation = [
      ...[...snapshot.workers.values()]
        .filter((w) => !snapshot.tasks.has(w.id) || this.folderIdentity.get(w.id) !== w.identity)
        .map((w) => this.guard(assignDir(w.id), () => this.ensureTaskFolder(w.id, w.identity))),
      ...[...snapshot.tasks]
        .filter(([id]) => !snapshot.workers.has(id))
        .map(([id, names]) => this.guard(assignDir(id), () => this.recoverTasksOf(id, names))),
      ...this.uncheckedTasks(snapshot).map((path) => this.guard(path, () => this.checkTask(path))),
      ...snapshot.strangers.map((name) =>
        this.guard(queuePath(name), () =>
          this.settle(
            this.transitions!.buryStranger(queuePath(name), name, 'not a job node name'),
            {
              node: queuePath(name),
            },
          ),
        ),
      ),
    ];
    // Folder writes and requeues are followed by a full read: the view need not reason
    // about them.
    if (reconciliation.length > 0) this.live.invalidate();
    await Promise.all(reconciliation);
    if (this.stopped) return;

    const free = new Map<string, number>();
    for (const [id, worker] of snapshot.workers) {
      const tasks = snapshot.tasks.get(id);
      if (tasks !== undefined) free.set(id, worker.capacity - tasks.length);
    }
    const reconciled = performance.now();
    const present = new Set(snapshot.queue);
    for (const name of this.unreadable) if (!present.has(name)) this.unreadable.delete(name);
    const queue = snapshot.queue.filter((name) => !this.unreadable.has(name));
    const plan = planAssignments(queue, free, config.assignBatchSize);
    await Promise.all(
      plan.map(({ name, worker }) => {
        const key = jobKey(name);
        this.checkedTasks.add(taskPath(worker, key));
        const assigning = async (): Promise<SettledOutcome> => {
          const registration = snapshot.workers.get(worker)!;
          const outcome = await this.transitions!.assign(name, key, registration, config);
          // Not as planned: the view was behind (or the connection went).
          if (outcome.kind !== 'done') this.live.invalidate();
          return outcome;
        };
        return this.guard(
          queuePath(name),
          () => this.settle(assigning(), { jobKey: key, workerId: worker }),
          () => this.unreadable.add(name),
        );
      }),
    );
    const ended = performance.now();
    metrics.roundDuration.observe((ended - began) / 1000);
    metrics.lastRound.set(Date.now() / 1000);
    this.deps.log.debug(
      {
        epoch: this.epoch,
        read: full ? 'full' : 'view',
        queue: snapshot.queue.length,
        planned: plan.length,
        readMs: Math.round(read - began),
        reconcileMs: Math.round(reconciled - read),
        assignMs: Math.round(ended - reconciled),
      },
      'scheduling round',
    );
  }

  /**
   * Runs one node's work so that a node the server will not let this term read (NoAuth, …)
   * is skipped and reported instead of failing the whole round (head-of-line). Connection
   * errors and bugs still fail the round.
   */
  private async guard(path: string, work: () => Promise<void>, onSkip?: () => void): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof ZkError) || isConnectionError(error)) throw error;
      onSkip?.();
      this.outcomes.skipped(path, error);
    }
  }

  /** Live workers' task nodes not checked yet; forgets the ones that are gone. */
  private uncheckedTasks(snapshot: SystemSnapshot): string[] {
    const present = new Set<string>();
    for (const [id, names] of snapshot.tasks) {
      if (!snapshot.workers.has(id)) continue;
      for (const name of names) present.add(taskPath(id, name));
    }
    for (const path of this.checkedTasks) if (!present.has(path)) this.checkedTasks.delete(path);
    return [...present].filter((path) => !this.checkedTasks.has(path));
  }

  /** Reads a task node this term did not write; buries it if it is not a task. */
  private async checkTask(path: string): Promise<void> {
    const problem = await this.transitions!.taskProblem(path);
    if (problem === null) {
      this.checkedTasks.add(path);
      return;
    }
    const name = path.slice(path.lastIndexOf('/') + 1);
    await this.settle(this.transitions!.buryStranger(path, name, problem), { node: path });
  }

  /**
   * Makes `/assign/<id>` for the worker's own identity (taskFolderAcl) with a fenced create
   * (a deposed leader must not make one), or gives an existing folder that identity: a new
   * process of the same worker id has a new one, and the old process loses the right to
   * remove tasks from the folder. (ZooKeeper's multi has no setACL, so that one write is not
   * fenced; the next real leader's round sets the identity of the live registration again.)
   */
  private async ensureTaskFolder(workerId: string, identity: string | null): Promise<void> {
    const acl = taskFolderAcl(identity);
    if (!(await this.deps.client.exists(assignDir(workerId)))) {
      const outcome = await this.fencedWrite((multi) =>
        multi.create(assignDir(workerId), undefined, { acl }),
      );
      if (outcome.kind === 'done') this.deps.log.info({ workerId }, `worker ${workerId} joined`);
      await this.settle(Promise.resolve(outcome), { node: assignDir(workerId) }, 'folder');
      if (outcome.kind !== 'done') return;
    } else {
      await this.deps.client.setACL(assignDir(workerId), acl);
    }
    this.folderIdentity.set(workerId, identity);
  }

  /** Requeues a departed worker's tasks, then removes its empty folder (a fenced delete). */
  private async recoverTasksOf(workerId: string, names: string[]): Promise<void> {
    if (names.length === 0) {
      const outcome = await this.fencedWrite((multi) => multi.delete(assignDir(workerId), -1));
      if (outcome.kind === 'done') {
        this.deps.log.info({ workerId }, `worker ${workerId} left; its folder is removed`);
      }
      await this.settle(Promise.resolve(outcome), { node: assignDir(workerId) }, 'folder');
      return;
    }
    const reason = `worker ${workerId} vanished`;
    this.deps.log.warn(
      { workerId, tasks: names.length },
      `worker ${workerId} vanished with ${names.length} task(s); requeuing them`,
    );
    await Promise.all(
      names.map((name) => {
        const path = taskPath(workerId, name);
        const transition = isJobName(name)
          ? this.transitions!.requeue(workerId, jobKey(name), reason)
          : this.transitions!.buryStranger(path, name, 'not a job node name');
        return this.guard(path, () =>
          this.settle(transition, { node: path, workerId }, 'requeued'),
        );
      }),
    );
  }

  /** A folder write behind the fence; a node in the way means another actor was first. */
  private async fencedWrite(ops: (multi: Transaction) => Transaction): Promise<SettledOutcome> {
    const claim = this.claim!;
    try {
      await ops(fencedMulti(this.deps.client, claim)).commit();
      return { kind: 'done' };
    } catch (error) {
      const outcome = classify(error, fenceOps(claim));
      return outcome.kind === 'conflict' ? { kind: 'moot', detail: outcome.detail } : outcome;
    }
  }

  /** Counts and logs how a transition ended; a fence outcome stops the term and reports it. */
  private async settle(
    pending: Promise<SettledOutcome>,
    fields: Record<string, string>,
    done: Done = 'assigned',
  ): Promise<void> {
    const outcome = await pending;
    this.outcomes.record(outcome, fields, done);
    if ((outcome.kind === 'fenced' || outcome.kind === 'fence_broken') && !this.stopped) {
      this.stop();
      this.deps.onFenced(outcome.kind);
    }
  }
}

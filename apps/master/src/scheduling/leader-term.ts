/**
 * LeaderTerm: what the master does while it leads, from the epoch claim to the step-down.
 *
 * 1. Claim a new epoch (CAS increment of `/epoch`): every write of this term checks it.
 * 2. Run scheduling rounds until stopped. A round reads the system (system-snapshot.ts),
 *    reconciles first (creates the task folder of each new worker, requeues the tasks of
 *    departed workers, buries strangers) and only then assigns queued jobs, in queue order,
 *    to live workers with free slots. The transitions of a round run pipelined.
 * 3. Rounds are level-triggered: persistent watches on `/workers`, `/queue` and `/assign`
 *    (recursive), a RECONNECTED, and a timer (the periodic reconciliation, which also heals
 *    any notification lost to a connection drop) all ask for "one more round"; requests
 *    that arrive while a round runs are folded into a single next round.
 *
 * Connection trouble: the latch revokes leadership on SUSPENDED (the 'standard' policy) and
 * the election stops the term at once; a transaction refused by the fence (`/epoch` moved on)
 * stops it too. Writes still in flight then fail on the epoch check or the session.
 */
import {
  AddWatchMode,
  type ACL,
  NoNodeError,
  NotEmptyError,
  NodeExistsError,
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
import { claimEpoch, type EpochClaim } from './epoch';
import { readSnapshot, type SystemSnapshot } from './system-snapshot';
import { TaskTransitions, type TransitionOutcome } from './task-transitions';
import type { MasterMetrics } from '../master-metrics';

export const RECONCILE_INTERVAL_MS = 2_000;
const RETRY_AFTER_ERROR_MS = 250;

export interface TermTotals {
  rounds: number;
  assigned: number;
  requeued: number;
  dead: number;
  refused: number;
}

export interface TermView {
  epoch: number | null;
  queueDepth: number;
  workers: { id: string; capacity: number; assigned: number }[];
  totals: TermTotals;
}

export interface LeaderTermDeps {
  client: ZkClient;
  config: () => LabConfig;
  acl: readonly ACL[];
  metrics: MasterMetrics;
  log: LogSink & { debug(obj: object, msg: string): void };
  /** Called once when a transaction was refused by the epoch fence. */
  onFenced: () => void;
}

export class LeaderTerm {
  private claim: EpochClaim | null = null;
  private transitions: TaskTransitions | null = null;
  private stopped = false;
  private running = false;
  private again = false;
  private watches: WatchHandle[] = [];
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private last: SystemSnapshot | null = null;
  /**
   * Task nodes of live workers known to be well-formed: written by this term, or read and
   * checked once. Others (left by an older term, an older version, or a hand) are checked
   * in the next round, and the unreadable ones buried.
   */
  private readonly checkedTasks = new Set<string>();
  /** The worker identity each task folder was given this term. */
  private readonly folderIdentity = new Map<string, string | null>();
  readonly totals: TermTotals = { rounds: 0, assigned: 0, requeued: 0, dead: 0, refused: 0 };

  constructor(private readonly deps: LeaderTermDeps) {}

  get epoch(): number | null {
    return this.claim?.epoch ?? null;
  }

  /** Claims the epoch, arms the triggers and runs the first round (the reconciliation). */
  async start(): Promise<void> {
    const { client, acl, log, metrics } = this.deps;
    this.claim = await claimEpoch(client, acl);
    if (this.stopped) return;
    this.transitions = new TaskTransitions(client, this.claim, namespaceAcls());
    metrics.epoch.set(this.claim.epoch);
    log.info({ epoch: this.claim.epoch }, `epoch ${this.claim.epoch} claimed; reconciling`);
    const trigger = (): void => this.trigger();
    this.watches = await Promise.all([
      client.addWatch(PATHS.workers, AddWatchMode.PERSISTENT, trigger),
      client.addWatch(PATHS.queue, AddWatchMode.PERSISTENT, trigger),
      client.addWatch(PATHS.assign, AddWatchMode.PERSISTENT_RECURSIVE, trigger),
    ]);
    if (this.stopped) {
      this.releaseWatches();
      return;
    }
    client.on('state', this.onState);
    this.timer = setInterval(trigger, RECONCILE_INTERVAL_MS);
    this.trigger();
  }

  /** Stops at once: no new transaction starts after this returns. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
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
    if (state === 'RECONNECTED') this.trigger();
  };

  private releaseWatches(): void {
    for (const handle of this.watches) void handle.remove().catch(() => undefined);
    this.watches = [];
  }

  private trigger(): void {
    if (this.stopped || this.transitions === null) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.runRounds();
  }

  private async runRounds(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.stopped);
    } catch (error) {
      if (!this.stopped) {
        this.deps.log.warn({ err: error }, 'scheduling round failed; trying again');
        this.retryTimer = setTimeout(() => this.trigger(), RETRY_AFTER_ERROR_MS);
      }
    } finally {
      this.running = false;
    }
  }

  private async round(): Promise<void> {
    const began = Date.now();
    const snapshot = await readSnapshot(this.deps.client);
    const read = Date.now();
    if (this.stopped) return;
    this.last = snapshot;
    this.totals.rounds++;
    this.deps.metrics.rounds.inc();
    this.deps.metrics.workersAlive.set(snapshot.workers.size);
    const config = this.deps.config();

    await Promise.all([
      ...[...snapshot.workers.values()]
        .filter((w) => !snapshot.tasks.has(w.id) || this.folderIdentity.get(w.id) !== w.identity)
        .map((w) => this.ensureTaskFolder(w.id, w.identity)),
      ...[...snapshot.tasks]
        .filter(([id]) => !snapshot.workers.has(id))
        .map(([id, names]) => this.recoverTasksOf(id, names)),
      ...this.uncheckedTasks(snapshot).map((path) => this.checkTask(path)),
      ...snapshot.strangers.map((name) =>
        this.settle(this.transitions!.buryStranger(queuePath(name), name, 'not a job node name'), {
          node: queuePath(name),
        }),
      ),
    ]);
    if (this.stopped) return;

    const free = new Map<string, number>();
    for (const [id, worker] of snapshot.workers) {
      const tasks = snapshot.tasks.get(id);
      if (tasks !== undefined) free.set(id, worker.capacity - tasks.length);
    }
    const reconciled = Date.now();
    const plan = planAssignments(snapshot.queue, free, config.assignBatchSize);
    await Promise.all(
      plan.map(({ name, worker }) => {
        const key = jobKey(name);
        this.checkedTasks.add(taskPath(worker, key));
        return this.settle(this.transitions!.assign(name, key, worker, config), {
          jobKey: key,
          workerId: worker,
        });
      }),
    );
    this.deps.log.debug(
      {
        epoch: this.epoch,
        queue: snapshot.queue.length,
        planned: plan.length,
        readMs: read - began,
        reconcileMs: reconciled - read,
        assignMs: Date.now() - reconciled,
      },
      'scheduling round',
    );
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
   * Makes `/assign/<id>` for the worker's own identity (taskFolderAcl), or gives an existing
   * folder that identity: a new process of the same worker id has a new one, and the old
   * process loses the right to remove tasks from the folder.
   */
  private async ensureTaskFolder(workerId: string, identity: string | null): Promise<void> {
    const acl = taskFolderAcl(identity);
    try {
      await this.deps.client.create(assignDir(workerId), undefined, { acl });
      this.deps.log.info({ workerId }, `worker ${workerId} joined`);
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
      await this.deps.client.setACL(assignDir(workerId), acl);
    }
    this.folderIdentity.set(workerId, identity);
  }

  /** Requeues a departed worker's tasks, then removes its empty folder. */
  private async recoverTasksOf(workerId: string, names: string[]): Promise<void> {
    if (names.length === 0) {
      try {
        await this.deps.client.delete(assignDir(workerId));
        this.deps.log.info({ workerId }, `worker ${workerId} left; its folder is removed`);
      } catch (error) {
        if (!(error instanceof NoNodeError || error instanceof NotEmptyError)) throw error;
      }
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
        return this.settle(transition, { node: path, workerId }, 'requeued');
      }),
    );
  }

  /** Counts and logs how a transition ended; a fenced one stops the term. */
  private async settle(
    pending: Promise<TransitionOutcome & { dead?: string }>,
    fields: Record<string, string>,
    done: 'assigned' | 'requeued' = 'assigned',
  ): Promise<void> {
    const outcome = await pending;
    const { log, metrics } = this.deps;
    const epoch = this.epoch;
    switch (outcome.kind) {
      case 'done':
        if (outcome.dead !== undefined) {
          this.totals.dead++;
          metrics.dead.inc({ reason: outcome.dead.startsWith('failed') ? 'attempts' : 'invalid' });
          log.warn({ ...fields, epoch, reason: outcome.dead }, 'job moved to /dead');
        } else if (done === 'assigned') {
          this.totals.assigned++;
          metrics.assigned.inc();
          log.debug({ ...fields, epoch }, 'job assigned');
        } else {
          this.totals.requeued++;
          metrics.requeued.inc({ reason: 'worker_vanished' });
          log.info({ ...fields, epoch }, 'task requeued');
        }
        return;
      case 'moot':
        log.debug({ ...fields, epoch, detail: outcome.detail }, 'transition moot');
        return;
      case 'conflict':
        this.totals.refused++;
        metrics.transactionsRefused.inc({ reason: 'conflict' });
        log.warn({ ...fields, epoch, detail: outcome.detail }, 'transition refused');
        return;
      case 'fenced':
        this.totals.refused++;
        metrics.transactionsRefused.inc({ reason: 'fenced' });
        if (!this.stopped) {
          log.error({ ...fields, epoch }, 'fenced: a newer leader moved /epoch on; stepping down');
          this.stop();
          this.deps.onFenced();
        }
        return;
      case 'unknown':
        return;
    }
  }
}

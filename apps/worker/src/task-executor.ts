/**
 * TaskExecutor: the jobs this worker runs now, at most `capacity` at once. Each run: a line
 * in the execution log, the handler under the config's job timeout (read when the job
 * starts), then its completion (TaskCompletion) in one transaction with the removal of the
 * task node. A task counts as running until its completion is done, so no rescan starts it
 * twice; and a task node (by czxid) that ran once in this process is never started again,
 * whatever became of its outcome, so its czxid is a per-execution fencing token.
 *
 * An outcome that cannot be recorded for a reason other than the session (the server
 * refused the write) is recorded as a failed attempt instead, so `maxAttempts` bounds it.
 *
 * - SUSPENDED: runs go on; a completion waits for the connection (the client holds the
 *   request) and is committed again after a ConnectionLossError.
 * - LOST: every run of the lost session is abandoned at once (its handler aborted,
 *   nothing written): the leader requeues the tasks of a worker whose node vanished.
 * - drain(): starts nothing more and waits (up to a grace period) for the runs to end;
 *   what still runs then is abandoned (the caller hands its task back).
 * - close(): the same for every run (the session is being closed).
 */
import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConfigWatcher, sessionHex, type Task } from '@zk-lab/lab-core';
import type { ZkClient, ZkStateEvent } from '@zk-lab/zk-client';
import type { ExecutionRecorder } from './execution-log';
import type { JobRunner, RunOutcome } from './job-runner';
import type { CompletionOutcome, TaskCompletion, TaskRun } from './task-completion';
import type { WorkerCapacity } from './worker-capacity';
import { jobFields, type WorkerLog } from './worker-log';
import type { JobOutcome } from './worker-metrics';

/** The abort reason of runs whose session ended. */
export class SessionLostError extends Error {
  constructor() {
    super('the session was lost; the leader requeues the task');
    this.name = 'SessionLostError';
  }
}

/** The abort reason of runs stopped by shutdown. */
export class ShutdownError extends Error {
  constructor() {
    super('the worker is shutting down; the task is handed back');
    this.name = 'ShutdownError';
  }
}

/** The abort reason of runs still going when a drain's grace period ended. */
export class DrainTimeoutError extends Error {
  constructor(readonly graceMs: number) {
    super(`still running after the ${graceMs} ms shutdown grace period; the task is handed back`);
    this.name = 'DrainTimeoutError';
  }
}

function reasonOf(ran: RunOutcome): string | undefined {
  return ran.kind === 'succeeded' ? undefined : ran.reason;
}

interface RunningTask extends TaskRun {
  abandon: AbortController;
}

export interface TaskExecutorEvents {
  /** A run ended (recorded or not): a slot is free. `handlerMs`: how long its handler ran. */
  finished: [key: string, outcome: JobOutcome, handlerMs: number, type: string];
  started: [key: string];
}

export class TaskExecutor extends EventEmitter<TaskExecutorEvents> {
  private readonly running = new Map<string, RunningTask>();
  /** The czxid of the last run of each key whose task node may still exist. */
  private readonly ran = new Map<string, bigint>();
  private readonly counts: Record<JobOutcome, number> = {
    succeeded: 0,
    failed: 0,
    timed_out: 0,
    dropped: 0,
  };
  private closed = false;
  private draining = false;

  constructor(
    private readonly client: ZkClient,
    private readonly config: ConfigWatcher,
    private readonly capacity: WorkerCapacity,
    private readonly runner: JobRunner,
    private readonly completion: TaskCompletion,
    private readonly log: WorkerLog,
    private readonly workerId: string,
    private readonly executions: ExecutionRecorder,
  ) {
    super();
    client.on('state', this.onState);
  }

  /** How many more runs fit now. */
  freeSlots(): number {
    return this.closed || this.draining ? 0 : Math.max(0, this.capacity.value - this.running.size);
  }

  hasFreeSlot(): boolean {
    return this.freeSlots() > 0;
  }

  /** Whether this process already ran the task node `czxid` of `key`. */
  hasRun(key: string, czxid: bigint): boolean {
    return this.ran.get(key) === czxid;
  }

  /** Whether a task node of `key` ran in this process (and may still be there). */
  ranKey(key: string): boolean {
    return this.ran.has(key);
  }

  /** Forgets the runs of keys whose task nodes are gone (`present`: the keys listed now). */
  forgetGone(present: ReadonlySet<string>): void {
    for (const key of this.ran.keys()) {
      if (!present.has(key) && !this.running.has(key)) this.ran.delete(key);
    }
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  runningKeys(): string[] {
    return [...this.running.keys()];
  }

  totals(): Record<JobOutcome, number> {
    return { ...this.counts };
  }

  /**
   * Starts `task` now (the caller checked for a free slot): records the execution, then runs
   * its handler. Returns false, starting nothing, for a task node that ran here before.
   */
  start(key: string, task: Task, czxid: bigint, version: number): boolean {
    if (this.running.has(key) || this.hasRun(key, czxid)) return false;
    const run: RunningTask = {
      key,
      task,
      session: this.client.sessionId,
      czxid,
      version,
      started: Date.now(),
      abandon: new AbortController(),
    };
    // On disk before the handler can do anything; a failed write starts nothing.
    this.executions.record({
      jobId: task.id,
      key,
      attempt: task.attempt,
      workerId: this.workerId,
      session: sessionHex(run.session),
      token: czxid.toString(),
      at: run.started,
    });
    this.ran.set(key, czxid);
    this.running.set(key, run);
    this.emit('started', key);
    this.execute(run).catch((error: unknown) =>
      this.log.error({ ...jobFields(key, task), err: error }, 'job execution failed'),
    );
    return true;
  }

  /**
   * Starts nothing more; waits for the runs to end, up to `graceMs`, then abandons the rest
   * (their outcomes are not recorded) and waits for them to let go of their slots.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      await Promise.race([once(this, 'finished'), sleep(deadline - Date.now())]);
    }
    if (this.running.size === 0) return;
    for (const run of this.running.values()) run.abandon.abort(new DrainTimeoutError(graceMs));
    while (this.running.size > 0) await once(this, 'finished');
  }

  /** Abandons every run (nothing more is written) and starts no more. */
  close(): void {
    this.closed = true;
    this.client.off('state', this.onState);
    for (const run of this.running.values()) run.abandon.abort(new ShutdownError());
  }

  private readonly onState = (state: ZkStateEvent): void => {
    if (state !== 'LOST') return;
    for (const run of this.running.values()) run.abandon.abort(new SessionLostError());
  };

  private async execute(run: RunningTask): Promise<void> {
    const fields = jobFields(run.key, run.task);
    const timeoutMs = this.config.config.jobTimeoutMs;
    this.log.info({ ...fields, timeoutMs, token: run.czxid.toString() }, 'job started');
    let outcome: JobOutcome = 'dropped';
    let handlerMs: number | undefined;
    try {
      const ran = await this.runner.run(
        run.task.type,
        run.task.payload,
        timeoutMs,
        run.abandon.signal,
      );
      handlerMs = Date.now() - run.started;
      outcome = await this.complete(run, ran, fields);
    } catch (error) {
      this.log.error({ ...fields, err: error }, 'job outcome not recorded; the leader owns it');
    } finally {
      this.running.delete(run.key);
      this.counts[outcome]++;
      this.emit('finished', run.key, outcome, handlerMs ?? Date.now() - run.started, run.task.type);
    }
  }

  /** Records the outcome of a run; says how it is counted. */
  private async complete(
    run: RunningTask,
    ran: RunOutcome,
    fields: ReturnType<typeof jobFields>,
  ): Promise<JobOutcome> {
    const finished = Date.now();
    const ms = finished - run.started;
    if (ran.kind === 'abandoned') {
      this.log.warn({ ...fields, reason: ran.reason, ms }, 'job abandoned');
      return 'dropped';
    }
    let recorded: CompletionOutcome;
    let kind: 'succeeded' | 'failed' | 'timed_out' = ran.kind;
    try {
      recorded =
        ran.kind === 'succeeded'
          ? await this.completion.succeeded(run, ran.output, finished)
          : await this.completion.failed(run, ran.reason, finished);
    } catch (error) {
      // The server refused the outcome (too large, not allowed, …): a failed attempt, so
      // the job cannot loop here; if even that cannot be written, execute() logs it.
      this.log.error({ ...fields, err: error }, 'job outcome refused; recording a failed attempt');
      const reason = `outcome not recordable: ${error instanceof Error ? error.name : 'error'}`;
      recorded = await this.completion.failed(run, reason, Date.now());
      kind = 'failed';
    }
    if (recorded === 'recorded') {
      if (kind === 'succeeded') this.log.info({ ...fields, ms }, 'job succeeded');
      else this.log.warn({ ...fields, ms, reason: reasonOf(ran) }, `job ${kind}; requeued`);
      return kind;
    }
    this.logDropped(recorded, fields, kind, ms);
    return 'dropped';
  }

  private logDropped(
    why: Exclude<CompletionOutcome, 'recorded'>,
    fields: ReturnType<typeof jobFields>,
    ran: RunOutcome['kind'],
    ms: number,
  ): void {
    const details = { ...fields, ran, ms };
    if (why === 'taken_back') {
      this.log.warn(details, 'job outcome dropped: the leader took the task back');
    } else if (why === 'already_recorded') {
      this.log.warn(details, 'job outcome dropped: this job was recorded already');
    } else if (why === 'key_collision') {
      this.log.error(details, 'job outcome dropped: another job holds its key; moved to /dead');
    } else if (why === 'unresolved') {
      this.log.error(
        details,
        'job outcome dropped: another job holds its key and /dead/<key> exists; the task stays',
      );
    } else {
      this.log.warn(details, 'job outcome dropped: the session ended; the leader requeues it');
    }
  }
}

/**
 * TaskExecutor: the jobs this worker runs now, at most `capacity` at once. Each run: the
 * handler under the config's job timeout (read when the job starts), then its completion
 * (TaskCompletion) in one transaction with the removal of the task node. A task counts as
 * running until its completion is done, so no rescan starts it twice.
 *
 * - SUSPENDED: runs go on; a completion waits for the connection (the client holds the
 *   request) and is committed again after a ConnectionLossError.
 * - LOST: every run of the lost session is abandoned at once (its handler aborted,
 *   nothing written): the leader requeues the tasks of a worker whose node vanished.
 * - close(): the same for every run (the session is being closed).
 */
import { EventEmitter } from 'node:events';
import type { ConfigWatcher, Task } from '@zk-lab/lab-core';
import type { ZkClient, ZkStateEvent } from '@zk-lab/zk-client';
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
    super('the worker is shutting down; the leader requeues the task');
    this.name = 'ShutdownError';
  }
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
  private readonly counts: Record<JobOutcome, number> = {
    succeeded: 0,
    failed: 0,
    timed_out: 0,
    lost: 0,
  };
  private closed = false;

  constructor(
    private readonly client: ZkClient,
    private readonly config: ConfigWatcher,
    private readonly capacity: WorkerCapacity,
    private readonly runner: JobRunner,
    private readonly completion: TaskCompletion,
    private readonly log: WorkerLog,
  ) {
    super();
    client.on('state', this.onState);
  }

  /** How many more runs fit now. */
  freeSlots(): number {
    return this.closed ? 0 : Math.max(0, this.capacity.value - this.running.size);
  }

  hasFreeSlot(): boolean {
    return !this.closed && this.running.size < this.capacity.value;
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

  /** Starts `task` now (the caller checked for a free slot). */
  start(key: string, task: Task, czxid: bigint): void {
    if (this.running.has(key)) return;
    const run: RunningTask = {
      key,
      task,
      session: this.client.sessionId,
      czxid,
      started: Date.now(),
      abandon: new AbortController(),
    };
    this.running.set(key, run);
    this.emit('started', key);
    this.execute(run).catch((error: unknown) =>
      this.log.error({ ...jobFields(key, task), err: error }, 'job execution failed'),
    );
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
    this.log.info({ ...fields, timeoutMs }, 'job started');
    let outcome: JobOutcome = 'lost';
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
      return 'lost';
    }
    const recorded =
      ran.kind === 'succeeded'
        ? await this.completion.succeeded(run, ran.output, finished)
        : await this.completion.failed(run, ran.reason, finished);
    if (recorded === 'recorded') {
      if (ran.kind === 'succeeded') this.log.info({ ...fields, ms }, 'job succeeded');
      else this.log.warn({ ...fields, ms, reason: ran.reason }, `job ${ran.kind}; requeued`);
      return ran.kind;
    }
    this.logDropped(recorded, fields, ran.kind, ms);
    return 'lost';
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
    } else if (why === 'result_exists') {
      this.log.error(details, 'job outcome dropped: a result of this job exists already');
    } else {
      this.log.warn(details, 'job outcome dropped: the session ended; the leader requeues it');
    }
  }
}

/**
 * TaskCompletion: records how a task's run ended, in one transaction with the removal of
 * its task node (DESIGN section 4, step 3):
 *
 * - success: multi[create /results/<key>, delete /assign/<worker>/<key>];
 * - failure: multi[create /queue/<key> (attempt + 1, the failure appended), delete the task].
 *
 * The delete is the guard: when the leader took the task back (it thought this worker
 * dead), the task node is gone, the transaction fails as a whole and no second result or
 * second queue entry can appear.
 *
 * A commit that fails with ConnectionLossError may or may not have been applied. While the
 * very task node the run started from (same czxid) is still there, it was not, and the
 * commit is tried again; once that node is gone or replaced by a newer one of the same
 * key, the run is over (recorded, or taken back) and nothing more is written. A
 * retry that finds its own node (same bytes) counts as recorded. The retries stop when
 * the session the run belongs to is gone (the task stays in /assign; the leader requeues
 * it) or the client is closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttemptFailure,
  encode,
  type JobResult,
  type NamespaceAcls,
  type QueuedJob,
  queuePath,
  resultPath,
  type Task,
  taskPath,
} from '@zk-lab/lab-core';
import {
  type ACL,
  ClientClosedError,
  ConnectionLossError,
  MultiError,
  NodeExistsError,
  NoNodeError,
  SessionExpiredError,
  type ZkClient,
} from '@zk-lab/zk-client';
import type { JobOutput } from './job-handlers';

export type CompletionOutcome =
  /** Written: the result (or the requeued job), and the task node is gone. */
  | 'recorded'
  /** The task node was gone: the leader took the task back. Nothing written. */
  | 'taken_back'
  /** A result of this job exists already. Nothing written. */
  | 'result_exists'
  /** The run's session ended (or the client closed) first. Nothing written. */
  | 'session_lost';

/** A run of a task, as its completion needs it. */
export interface TaskRun {
  key: string;
  task: Task;
  /** The session the task was started in: its completion is only written in that one. */
  session: bigint;
  /** The creation zxid of the task node: tells it from a later node of the same key. */
  czxid: bigint;
  started: number;
}

const RETRY_DELAY_MS = 100;

export class TaskCompletion {
  constructor(
    private readonly client: ZkClient,
    private readonly workerId: string,
    /** Results are records; a job handed back is a queue node. */
    private readonly acls: Pick<NamespaceAcls, 'record' | 'job'>,
  ) {}

  succeeded(run: TaskRun, output: JobOutput, finished: number): Promise<CompletionOutcome> {
    const { task } = run;
    const result: JobResult = {
      id: task.id,
      key: run.key,
      type: task.type,
      outcome: 'succeeded',
      output,
      worker: this.workerId,
      attempt: task.attempt,
      epoch: task.epoch,
      created: task.created,
      assigned: task.assigned,
      started: run.started,
      finished,
      failures: task.failures,
    };
    return this.commit(run, resultPath(run.key), encode(result), 'result_exists', this.acls.record);
  }

  /** Puts the job back in the queue for its next attempt, with this failure appended. */
  failed(run: TaskRun, reason: string, at: number): Promise<CompletionOutcome> {
    const { task } = run;
    const failure: AttemptFailure = { attempt: task.attempt, worker: this.workerId, reason, at };
    const next: QueuedJob = {
      id: task.id,
      type: task.type,
      payload: task.payload,
      created: task.created,
      attempt: task.attempt + 1,
      failures: [...task.failures, failure],
    };
    // A queue node of this key exists only if the leader requeued the task itself.
    return this.commit(run, queuePath(run.key), encode(next), 'taken_back', this.acls.job);
  }

  private async commit(
    run: TaskRun,
    path: string,
    data: Buffer,
    whenNodeExists: CompletionOutcome,
    acl: readonly ACL[],
  ): Promise<CompletionOutcome> {
    let mayHaveApplied = false;
    for (;;) {
      if (this.client.sessionId !== run.session) return 'session_lost';
      try {
        await this.client
          .multi()
          .create(path, data, { acl })
          .delete(taskPath(this.workerId, run.key))
          .commit();
        return 'recorded';
      } catch (error) {
        if (error instanceof ConnectionLossError) {
          mayHaveApplied = true;
          await sleep(RETRY_DELAY_MS);
          // If the lost commit was applied, the leader may already have assigned the job
          // again under the same key, even to this worker: never delete that newer node.
          const settled = await this.settledMeanwhile(run, path, data).catch((e: unknown) => {
            if (e instanceof ConnectionLossError) return null;
            throw e;
          });
          if (settled !== null) return settled;
          continue;
        }
        if (error instanceof SessionExpiredError || error instanceof ClientClosedError) {
          return 'session_lost';
        }
        if (!(error instanceof MultiError)) throw error;
        // Op 1 is the task's delete, op 0 the create of the result or queue node.
        if (error.index === 1 && error.opError instanceof NoNodeError) return 'taken_back';
        if (error.index === 0 && error.opError instanceof NodeExistsError) {
          return mayHaveApplied && (await this.holds(path, data)) ? 'recorded' : whenNodeExists;
        }
        throw error;
      }
    }
  }

  /**
   * After a lost commit: null while the task node this run started from is still there
   * (try again), else how the run ended (our commit applied, or the task was taken back).
   */
  private async settledMeanwhile(
    run: TaskRun,
    path: string,
    data: Buffer,
  ): Promise<CompletionOutcome | null> {
    const stat = await this.client.exists(taskPath(this.workerId, run.key));
    if (stat !== null && stat.czxid === run.czxid) return null;
    return (await this.holds(path, data)) ? 'recorded' : 'taken_back';
  }

  /** Whether `path` holds exactly `data`: what an earlier, applied try of ours wrote. */
  private async holds(path: string, data: Buffer): Promise<boolean> {
    try {
      return (await this.client.getData(path)).data.equals(data);
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }
}

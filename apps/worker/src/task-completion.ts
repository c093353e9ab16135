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
 *
 * The delete checks the version the run read. Task nodes are never rewritten, so every node
 * of a key has version 0 and the check cannot tell a newer node of the same key from the
 * run's own: a retry after a lost commit that was applied checks the czxid first
 * (`settledMeanwhile`), but a newer node created between that check and the retry would
 * still be deleted (a known limitation; ZooKeeper has no czxid check in a multi). The
 * worker never starts a node it is not bound to, so such a node goes back to the queue.
 *
 * When the create finds its node already there, the run cannot be recorded as it is:
 * - a result of the same job id: it was recorded already; the task node is removed;
 * - a result or queue node of another job (a key reused after `/queue` was re-created, or
 *   a stray write): the task goes to /dead, "key collision", in one transaction with the
 *   removal of its node, so it is neither lost nor run again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttemptFailure,
  type DeadJob,
  deadPath,
  encode,
  type JobResult,
  PROTOCOL_VERSION,
  type NamespaceAcls,
  type QueuedJob,
  queuePath,
  resultPath,
  type Task,
  taskPath,
} from '@zk-lab/lab-core';
import {
  type ACL,
  BadVersionError,
  ClientClosedError,
  ConnectionLossError,
  MultiError,
  NodeExistsError,
  NoNodeError,
  SessionExpiredError,
  type ZkClient,
} from '@zk-lab/zk-client';
import { z } from 'zod';
import type { JobOutput } from './job-handlers';

export type CompletionOutcome =
  /** Written: the result (or the requeued job), and the task node is gone. */
  | 'recorded'
  /** The task node was gone: the leader took the task back. Nothing written. */
  | 'taken_back'
  /** A result of this very job (same id) exists already: the task node was removed. */
  | 'already_recorded'
  /** The key holds another job's result or queue node: the task went to /dead. */
  | 'key_collision'
  /** The key holds another job's node and /dead/<key> exists too: the task node stays. */
  | 'unresolved'
  /** The run's session ended (or the client closed) first. Nothing written. */
  | 'session_lost';

/** A run of a task, as its completion needs it. */
export interface TaskRun {
  key: string;
  task: Task;
  /** The session the task was started in: its completion is only written in that one. */
  session: bigint;
  /**
   * The creation zxid of the task node: tells it from a later node of the same key, and is
   * the run's fencing token (every assignment creates a new node).
   */
  czxid: bigint;
  /** The task node's version when the run started it. */
  version: number;
  started: number;
}

/** What a completion reads of an existing result: its job id. */
const RecordedJobSchema = z.looseObject({ id: z.string() });

const RETRY_DELAY_MS = 100;

export class TaskCompletion {
  constructor(
    private readonly client: ZkClient,
    private readonly workerId: string,
    /** Results are records; a job handed back is a queue node. */
    private readonly acls: Pick<NamespaceAcls, 'record' | 'job'>,
  ) {}

  async succeeded(run: TaskRun, output: JobOutput, finished: number): Promise<CompletionOutcome> {
    const { task } = run;
    const result: JobResult = {
      protocol: PROTOCOL_VERSION,
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
      handBacks: task.handBacks,
      token: run.czxid.toString(),
    };
    const recorded = await this.commit(run, resultPath(run.key), encode(result), this.acls.record);
    if (recorded !== 'node_exists') return recorded;
    const existing = await this.recordedJobId(resultPath(run.key));
    if (existing === task.id) return this.removeTask(run);
    return this.buryCollision(run, `/results/${run.key} holds job ${existing ?? '(unreadable)'}`);
  }

  /** Puts the job back in the queue for its next attempt, with this failure appended. */
  async failed(run: TaskRun, reason: string, at: number): Promise<CompletionOutcome> {
    const { task } = run;
    const failure: AttemptFailure = { attempt: task.attempt, worker: this.workerId, reason, at };
    const next: QueuedJob = {
      protocol: PROTOCOL_VERSION,
      id: task.id,
      type: task.type,
      payload: task.payload,
      created: task.created,
      attempt: task.attempt + 1,
      failures: [...task.failures, failure],
      handBacks: task.handBacks,
    };
    const recorded = await this.commit(run, queuePath(run.key), encode(next), this.acls.job);
    if (recorded !== 'node_exists') return recorded;
    // The leader requeues by deleting the task node: if ours is still here, the queue node
    // is another job's.
    const stat = await this.client.exists(taskPath(this.workerId, run.key));
    if (stat === null || stat.czxid !== run.czxid) return 'taken_back';
    const existing = await this.recordedJobId(queuePath(run.key));
    if (existing === task.id) return 'taken_back';
    return this.buryCollision(run, `/queue/${run.key} holds job ${existing ?? '(unreadable)'}`);
  }

  /** The job id recorded at `path` (a result or queue node), null when unreadable or gone. */
  private async recordedJobId(path: string): Promise<string | null> {
    try {
      const { data } = await this.client.getData(path);
      const parsed = RecordedJobSchema.safeParse(JSON.parse(data.toString('utf8')));
      return parsed.success ? parsed.data.id : null;
    } catch (error) {
      if (error instanceof NoNodeError || error instanceof SyntaxError) return null;
      throw error;
    }
  }

  /** The job was recorded already: its task node goes (the one this run read, by version). */
  private async removeTask(run: TaskRun): Promise<CompletionOutcome> {
    const path = taskPath(this.workerId, run.key);
    const stat = await this.client.exists(path);
    if (stat === null || stat.czxid !== run.czxid) return 'taken_back';
    try {
      await this.client.delete(path, run.version);
      return 'already_recorded';
    } catch (error) {
      if (error instanceof NoNodeError || error instanceof BadVersionError) return 'taken_back';
      throw error;
    }
  }

  /** Another job holds the key: the task to /dead, in one transaction with its removal. */
  private async buryCollision(run: TaskRun, detail: string): Promise<CompletionOutcome> {
    const { task } = run;
    const record: DeadJob = {
      protocol: PROTOCOL_VERSION,
      key: run.key,
      reason: `key collision: ${detail}`,
      job: {
        protocol: PROTOCOL_VERSION,
        id: task.id,
        type: task.type,
        payload: task.payload,
        created: task.created,
        attempt: task.attempt,
        failures: task.failures,
        handBacks: task.handBacks,
      },
      raw: null,
      epoch: task.epoch,
      at: Date.now(),
    };
    const buried = await this.commit(run, deadPath(run.key), encode(record), this.acls.record);
    if (buried === 'recorded') return 'key_collision';
    return buried === 'node_exists' ? 'unresolved' : buried;
  }

  /** The create and the task's removal in one transaction; `node_exists` for the caller. */
  private async commit(
    run: TaskRun,
    path: string,
    data: Buffer,
    acl: readonly ACL[],
  ): Promise<CompletionOutcome | 'node_exists'> {
    let mayHaveApplied = false;
    for (;;) {
      if (this.client.sessionId !== run.session) return 'session_lost';
      try {
        await this.client
          .multi()
          .create(path, data, { acl })
          .delete(taskPath(this.workerId, run.key), run.version)
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
        if (
          error.index === 1 &&
          (error.opError instanceof NoNodeError || error.opError instanceof BadVersionError)
        ) {
          return 'taken_back';
        }
        if (error.index === 0 && error.opError instanceof NodeExistsError) {
          return mayHaveApplied && (await this.holds(path, data)) ? 'recorded' : 'node_exists';
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

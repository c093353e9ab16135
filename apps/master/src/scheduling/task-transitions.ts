/**
 * The leader's state changes of a job, each one epoch-checked `multi` (DESIGN section 4):
 * assign (queue → task, bound to the session of the worker's registration), requeue (a
 * hand-back: the task of a departed or replaced worker → queue, same attempt, one more
 * entry in `handBacks`) and bury (queue or task → dead). A newer leader has moved `/epoch`
 * on, so each of these fails as a whole for a deposed leader: `Fenced`.
 */
import {
  BadVersionError,
  ConnectionLossError,
  MultiError,
  NoNodeError,
  SessionExpiredError,
  ClientClosedError,
  type ZkClient,
} from '@zk-lab/zk-client';
import {
  deadPath,
  decode,
  encode,
  InvalidDataError,
  isJobName,
  PROTOCOL_VERSION,
  QueuedJobSchema,
  sessionHex,
  queuePath,
  taskPath,
  TaskSchema,
  workerPath,
  type DeadJob,
  type HandBack,
  type LabConfig,
  type NamespaceAcls,
  type QueuedJob,
  type Task,
} from '@zk-lab/lab-core';
import { type EpochClaim, fencedMulti, fenceOps } from './epoch';
import { type NodeRead, ReadBatch } from './read-batch';

/** How one transition ended. */
/** A worker's registration as a round read it: the task is bound to its session. */
export interface RegistrationRef {
  id: string;
  /** The registration node's ephemeral owner. */
  session: bigint;
  /** The registration node's data version. */
  version: number;
}

export type TransitionOutcome =
  | { kind: 'done' }
  /** The node was gone or already moved: another actor got there first. Nothing to do. */
  | { kind: 'moot'; detail: string }
  /** The server refused the transaction for a reason other than the fence. */
  | { kind: 'conflict'; detail: string }
  /** `/epoch` moved on, or this leader's election node is gone: a newer leader exists. */
  | { kind: 'fenced' }
  /** The fence itself failed otherwise (`/epoch` deleted, unreadable): stop and alarm. */
  | { kind: 'fence_broken'; detail: string }
  /** The connection or session went; the next round sees what happened. */
  | { kind: 'unknown' };

const RAW_KEPT = 2_000;

export class TaskTransitions {
  private readonly reads: ReadBatch;

  constructor(
    private readonly client: ZkClient,
    private readonly claim: EpochClaim,
    /** Task nodes, queue nodes (a requeued job) and dead records each have their own. */
    private readonly acls: Pick<NamespaceAcls, 'task' | 'job' | 'record'>,
  ) {
    this.reads = new ReadBatch(client);
  }

  /** Queue node `name` (key `key`) to `worker`, or to /dead when it is past its attempts. */
  async assign(
    name: string,
    key: string,
    worker: RegistrationRef,
    config: LabConfig,
  ): Promise<TransitionOutcome & { dead?: string }> {
    const path = queuePath(name);
    const read = await this.read(path);
    if (read === null) return { kind: 'moot', detail: `${path} is gone` };
    let job: QueuedJob;
    try {
      job = decode(QueuedJobSchema, read.data, `queued job ${name}`);
    } catch (error) {
      if (!(error instanceof InvalidDataError)) throw error;
      return this.bury(path, key, read.version, null, read.data, error.message);
    }
    if (job.attempt > config.maxAttempts) {
      const last = job.failures.at(-1)?.reason ?? 'no failure recorded';
      const reason = `failed ${job.attempt - 1} attempts (max ${config.maxAttempts}); last: ${last}`;
      return this.bury(path, key, read.version, job, null, reason);
    }
    if (job.handBacks.length > config.maxHandBacks) {
      const last = job.handBacks.at(-1)?.reason ?? '?';
      const reason = `handed back ${job.handBacks.length} times (max ${config.maxHandBacks}); last: ${last}`;
      return this.bury(path, key, read.version, job, null, reason);
    }
    const task: Task = {
      ...job,
      protocol: PROTOCOL_VERSION,
      epoch: this.claim.epoch,
      worker: worker.id,
      workerSession: sessionHex(worker.session),
      assigned: Date.now(),
    };
    // The registration as the round read it, checked in the transaction: a worker gone, or
    // whose registration was rewritten, since gets nothing (`moot`). One registered again
    // in a new session (at version 0 again) gets a task of its old session: it hands it back.
    return this.commit(
      this.fenced()
        .check(workerPath(worker.id), worker.version)
        .create(taskPath(worker.id, key), encode(task), { acl: this.acls.task })
        .delete(path, read.version),
    );
  }

  /**
   * A task back to the queue under its key, as a hand-back: its worker departed or was
   * replaced, the job did not fail, so the attempt stays and `handBacks` grows by one.
   */
  async requeue(worker: string, key: string, reason: string): Promise<TransitionOutcome> {
    const path = taskPath(worker, key);
    const read = await this.read(path);
    if (read === null) return { kind: 'moot', detail: `${path} is gone` };
    let task: Task;
    try {
      task = decode(TaskSchema, read.data, `task ${path}`);
    } catch (error) {
      if (!(error instanceof InvalidDataError)) throw error;
      return this.bury(path, key, read.version, null, read.data, error.message);
    }
    const handBack: HandBack = { worker, reason, at: Date.now() };
    const job: QueuedJob = {
      protocol: PROTOCOL_VERSION,
      id: task.id,
      type: task.type,
      payload: task.payload,
      created: task.created,
      attempt: task.attempt,
      failures: task.failures,
      handBacks: [...task.handBacks, handBack],
    };
    return this.commit(
      this.fenced()
        .create(queuePath(key), encode(job), { acl: this.acls.job })
        .delete(path, read.version),
    );
  }

  /**
   * Why the node at `path` is not a valid task (its name or its data), or null when it is
   * one (or is gone).
   */
  async taskProblem(path: string): Promise<string | null> {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (!isJobName(name)) return 'not a job node name';
    const read = await this.read(path);
    if (read === null) return null;
    try {
      decode(TaskSchema, read.data, `task ${path}`);
      return null;
    } catch (error) {
      if (!(error instanceof InvalidDataError)) throw error;
      return error.message;
    }
  }

  /** A node that is not a job (a stranger in the queue or in a worker's folder) to /dead. */
  async buryStranger(path: string, name: string, reason: string): Promise<TransitionOutcome> {
    const read = await this.read(path);
    if (read === null) return { kind: 'moot', detail: `${path} is gone` };
    return this.bury(path, name, read.version, null, read.data, reason);
  }

  private async bury(
    path: string,
    key: string,
    version: number,
    job: QueuedJob | null,
    raw: Buffer | null,
    reason: string,
  ): Promise<TransitionOutcome & { dead: string }> {
    const record: DeadJob = {
      key,
      reason,
      job,
      raw: raw === null ? null : raw.toString('utf8').slice(0, RAW_KEPT),
      epoch: this.claim.epoch,
      at: Date.now(),
    };
    const outcome = await this.commit(
      this.fenced()
        .create(deadPath(key), encode(record), { acl: this.acls.record })
        .delete(path, version),
    );
    return { ...outcome, dead: reason };
  }

  private fenced() {
    return fencedMulti(this.client, this.claim);
  }

  /** A node's data and version (null: gone), read with the round's other reads (ReadBatch). */
  private read(path: string): Promise<NodeRead | null> {
    return this.reads.read(path);
  }

  private async commit(transaction: { commit(): Promise<unknown> }): Promise<TransitionOutcome> {
    try {
      await transaction.commit();
      return { kind: 'done' };
    } catch (error) {
      return classify(error, fenceOps(this.claim));
    }
  }
}

/**
 * What a failed transaction means for the leader. Its first `fenceOps` ops are the fence
 * (the `/epoch` check, then the check of the leader's election node): any failure there is
 * a fence problem, never `moot`.
 */
export function classify(error: unknown, fenceOps = 1): TransitionOutcome {
  if (error instanceof MultiError) {
    const detail = `${error.opError.name} on ${error.outcomes[error.index]?.op ?? '?'} ${error.path ?? ''}`;
    if (error.index === 0) {
      return error.opError instanceof BadVersionError
        ? { kind: 'fenced' }
        : { kind: 'fence_broken', detail };
    }
    if (error.index < fenceOps) {
      return error.opError instanceof NoNodeError
        ? { kind: 'fenced' }
        : { kind: 'fence_broken', detail };
    }
    if (error.opError instanceof NoNodeError || error.opError instanceof BadVersionError) {
      return { kind: 'moot', detail };
    }
    return { kind: 'conflict', detail };
  }
  if (
    error instanceof ConnectionLossError ||
    error instanceof SessionExpiredError ||
    error instanceof ClientClosedError
  ) {
    return { kind: 'unknown' };
  }
  throw error;
}

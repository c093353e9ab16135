/**
 * TaskHandBack: gives a task node of this worker back to the queue without running it, or
 * without recording its run: the job did not fail, so its attempt stays and one entry is
 * added to `handBacks` (the leader buries a job handed back more than `maxHandBacks`).
 *
 * The queue node is made from the task's JSON as it is, less the fields of the assignment,
 * so a task this version cannot read (a newer protocol, a job type it does not know) goes
 * back intact for a worker that can. Data that is not a JSON object is left alone: the
 * leader cannot read it either, and buries it.
 *
 * The transaction is fenced by ownership: multi[create /queue/<key>, delete the task node at
 * the version read]. Whoever removes the node first (the leader's requeue, a completion, a
 * hand-back) wins; the others fail as a whole.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encode, type HandBack, queuePath, taskPath } from '@zk-lab/lab-core';
import {
  type ACL,
  BadVersionError,
  ConnectionLossError,
  MultiError,
  NodeExistsError,
  NoNodeError,
  type ZkClient,
} from '@zk-lab/zk-client';

export type HandBackOutcome =
  /** The job is back in the queue and the task node gone. */
  | 'handed_back'
  /** The task node was gone or replaced first. Nothing written. */
  | 'gone'
  /** Not a JSON object: left for the leader, which buries it. */
  | 'unreadable'
  /** `/queue/<key>` holds another node: left for the leader. */
  | 'conflict';

/** The fields the leader adds when it assigns a queued job. */
const ASSIGNMENT_FIELDS = ['epoch', 'worker', 'workerSession', 'assigned'];
const RETRY_DELAY_MS = 100;

export class TaskHandBack {
  constructor(
    private readonly client: ZkClient,
    private readonly workerId: string,
    private readonly acl: readonly ACL[],
  ) {}

  /** Hands back the task node `key`; only the node `czxid` when given. */
  async handBack(key: string, reason: string, czxid?: bigint): Promise<HandBackOutcome> {
    const path = taskPath(this.workerId, key);
    for (;;) {
      let read;
      try {
        read = await this.client.getData(path);
      } catch (error) {
        if (error instanceof NoNodeError) return 'gone';
        if (error instanceof ConnectionLossError) {
          await sleep(RETRY_DELAY_MS);
          continue;
        }
        throw error;
      }
      if (czxid !== undefined && read.stat.czxid !== czxid) return 'gone';
      const job = queuedFrom(read.data, { worker: this.workerId, reason, at: Date.now() });
      if (job === null) return 'unreadable';
      try {
        await this.client
          .multi()
          .create(queuePath(key), job, { acl: this.acl })
          .delete(path, read.stat.version)
          .commit();
        return 'handed_back';
      } catch (error) {
        if (error instanceof ConnectionLossError) {
          // Applied or not: the next read tells (the node is gone, or the same one is there).
          await sleep(RETRY_DELAY_MS);
          czxid ??= read.stat.czxid;
          continue;
        }
        if (!(error instanceof MultiError)) throw error;
        if (error.index === 1 && error.opError instanceof NoNodeError) return 'gone';
        if (error.index === 1 && error.opError instanceof BadVersionError) return 'gone';
        if (error.index === 0 && error.opError instanceof NodeExistsError) return 'conflict';
        throw error;
      }
    }
  }
}

/** The queue node's bytes for a task's data, with `handBack` appended; null if not an object. */
export function queuedFrom(data: Buffer, handBack: HandBack): Buffer | null {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const job: Record<string, unknown> = { ...value };
  for (const field of ASSIGNMENT_FIELDS) delete job[field];
  const earlier = Array.isArray(job.handBacks) ? (job.handBacks as unknown[]) : [];
  job.handBacks = [...earlier, handBack];
  return encode(job);
}

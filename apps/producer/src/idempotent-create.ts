/**
 * One job's create, idempotent under connection loss with an O(1) check (review F2).
 *
 * The queue node and a marker `/produced/<jobId>` are created in one transaction, so the
 * marker exists exactly when the job was enqueued, wherever the job has moved since (the
 * leader moves it to /assign, then /results). After a ConnectionLoss (or an expired
 * session) the producer `sync`s, so that even a lagging follower has applied every write
 * the lost connection made, and looks the marker up: present, the job is in; absent, the
 * transaction was never applied and may be sent again. A session moved to another server
 * cannot have a request of its old connection applied after the move (the leader refuses
 * it as SessionMoved), so the sync really closes the window.
 *
 * Markers are removed once the create's outcome is known. One whose producer died before
 * that stays: it is a TTL node (reaped by the server an hour after its creation) where the
 * ensemble allows TTL nodes (extendedTypesEnabled, as the lab's ensembles run); elsewhere a
 * plain node, which `lab`'s operators may delete (nothing reads a marker once its producer
 * is gone).
 */
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ACL,
  ConnectionLossError,
  CreateMode,
  MultiError,
  NodeExistsError,
  SessionExpiredError,
  UnimplementedError,
  type ZkClient,
  ZkError,
} from '@zk-lab/zk-client';
import {
  encode,
  JOB_PREFIX,
  jobKey,
  PATHS,
  producedPath,
  type QueuedJob,
  queuePath,
} from '@zk-lab/lab-core';

/** How long an orphaned marker lives where the server reaps TTL nodes. */
export const MARKER_TTL_MS = 60 * 60 * 1000;
const OUTAGE_RETRY_MS = 200;

/** The job is in the queue; its key is null when the reply naming it was lost. */
export interface CreatedJob {
  key: string | null;
}

/**
 * Thrown when ZooKeeper stayed unreachable past the outage limit while a create's outcome
 * was unknown: the job may or may not be in the queue (its marker says, once reachable).
 */
export class CreateOutcomeUnknownError extends Error {
  override readonly name = 'CreateOutcomeUnknownError';
  constructor(
    readonly jobId: string,
    override readonly cause: Error,
  ) {
    super(
      `ZooKeeper stayed unreachable, so whether job ${jobId} was enqueued is unknown ` +
        `(its marker ${PATHS.produced}/${jobId} says, once ZooKeeper answers): ${cause.message}`,
    );
  }
}

function isConnectionTrouble(error: unknown): error is Error {
  return error instanceof ConnectionLossError || error instanceof SessionExpiredError;
}

export class IdempotentCreator {
  /** Cleared on the first refusal of a TTL mode: the ensemble has no extended types. */
  private ttlMarkers = true;
  private readonly deletes = new Set<Promise<void>>();

  constructor(
    private readonly client: ZkClient,
    /** ACL of the queue node and of the marker. */
    private readonly acl: readonly ACL[],
    /** How long a create whose outcome is unknown waits for ZooKeeper to answer again. */
    private readonly outageLimitMs: number,
  ) {}

  async create(job: QueuedJob): Promise<CreatedJob> {
    const data = encode(job);
    let outageSince: number | null = null;
    let mayHaveApplied = false;
    for (;;) {
      try {
        const results = await this.client
          .multi()
          .create(queuePath(JOB_PREFIX), data, {
            mode: CreateMode.PERSISTENT_SEQUENTIAL,
            acl: this.acl,
          })
          .create(producedPath(job.id), undefined, this.markerOptions())
          .commit();
        this.forget(job.id);
        const created = results[0];
        return { key: created?.op === 'create' ? jobKey(basename(created.path)) : null };
      } catch (error) {
        if (error instanceof MultiError) {
          if (error.index === 1 && error.opError instanceof UnimplementedError && this.ttlMarkers) {
            this.ttlMarkers = false; // nothing was applied: send it again with a plain marker
            continue;
          }
          if (error.index === 1 && error.opError instanceof NodeExistsError && mayHaveApplied) {
            // An earlier try of ours was applied after all.
            this.forget(job.id);
            return { key: null };
          }
          throw error;
        }
        if (!isConnectionTrouble(error)) throw error;
        mayHaveApplied = true;
        outageSince ??= Date.now();
      }
      // The outcome is unknown: ask the marker, for as long as the outage limit allows.
      for (;;) {
        try {
          await this.client.sync(PATHS.produced);
          if ((await this.client.exists(producedPath(job.id))) !== null) {
            this.forget(job.id);
            return { key: null };
          }
          break; // never applied: send it again
        } catch (error) {
          if (!isConnectionTrouble(error)) throw error;
          if (Date.now() - outageSince >= this.outageLimitMs) {
            throw new CreateOutcomeUnknownError(job.id, error);
          }
          await sleep(OUTAGE_RETRY_MS);
        }
      }
    }
  }

  /** Waits for the marker deletes still in flight. */
  async drain(): Promise<void> {
    while (this.deletes.size > 0) await Promise.all([...this.deletes]);
  }

  private markerOptions(): { acl: readonly ACL[]; mode: CreateMode; ttlMs?: number } {
    return this.ttlMarkers
      ? { acl: this.acl, mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: MARKER_TTL_MS }
      : { acl: this.acl, mode: CreateMode.PERSISTENT };
  }

  /** The outcome is known: the marker has done its work. A failed delete leaves an orphan. */
  private forget(jobId: string): void {
    // Any refusal (gone, connection trouble, even NoAuth) only leaves an orphan to reap.
    const pending = this.client.delete(producedPath(jobId)).catch((error: unknown) => {
      if (!(error instanceof ZkError)) throw error;
    });
    const tracked = pending.finally(() => this.deletes.delete(tracked));
    this.deletes.add(tracked);
  }
}

/**
 * The leader's side of the protocol, played by a test (no master runs here): it waits for
 * a worker's registration, makes its /assign/<id>, writes task nodes, reads what the
 * worker wrote, and (as admin) writes /config.
 */
import { randomUUID } from 'node:crypto';
import {
  assignDir,
  connectToNamespace,
  decode,
  DEFAULT_SESSION_TIMEOUT_MS,
  encode,
  type JobResult,
  JobResultSchema,
  type LabConfig,
  loadCredentials,
  namespaceAcls,
  taskFolderAcl,
  PATHS,
  type QueuedJob,
  QueuedJobSchema,
  resultPath,
  queuePath,
  sessionHex,
  type Task,
  taskPath,
  type WorkerInfo,
  WorkerInfoSchema,
  workerPath,
} from '@zk-lab/lab-core';
import { NoNodeError, type Stat, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, waitFor } from '@zk-lab/test';

let sequence = 0;

/** A fresh job key (job-<10 digits>), unique within the test file's root. */
export function nextJobKey(): string {
  sequence += 1;
  return `job-${String(sequence).padStart(10, '0')}`;
}

/** A task as the leader writes it, bound to the registration session `workerSession`. */
export function taskData(
  worker: string,
  type: Task['type'],
  payload: unknown,
  workerSession = '0x0',
): Task {
  const now = Date.now();
  return {
    id: randomUUID(),
    type,
    payload: payload as Task['payload'],
    created: now,
    attempt: 1,
    failures: [],
    handBacks: [],
    epoch: 1,
    worker,
    workerSession,
    assigned: now,
  };
}

export class TestLeader {
  private constructor(
    readonly client: ZkClient,
    private readonly admin: ZkClient,
  ) {}

  static async connect(root: string): Promise<TestLeader> {
    const settings = {
      connectString: sharedConnectString(),
      root,
      sessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
      source: 'flag' as const,
    };
    const client = await connectToNamespace(settings, loadCredentials('master'));
    const admin = await ZkClient.connect({
      connectString: settings.connectString,
      root,
      auth: [loadCredentials('admin').authInfo()],
    });
    return new TestLeader(client, admin);
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.admin.close()]);
  }

  async registration(id: string): Promise<{ info: WorkerInfo; stat: Stat } | null> {
    try {
      const { data, stat } = await this.client.getData(workerPath(id));
      return { info: decode(WorkerInfoSchema, data, 'worker'), stat };
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  async waitForWorker(id: string, timeoutMs = 20_000): Promise<{ info: WorkerInfo; stat: Stat }> {
    let found: { info: WorkerInfo; stat: Stat } | null = null;
    await waitFor(
      `/workers/${id}`,
      async () => (found = await this.registration(id)) !== null,
      timeoutMs,
    );
    return found!;
  }

  async openAssignDir(id: string): Promise<void> {
    await this.client.create(assignDir(id), undefined, { acl: taskFolderAcl(null) });
  }

  /** The session (hex) of the worker's registration now: what a task is bound to. */
  async workerSession(worker: string): Promise<string> {
    const registration = await this.registration(worker);
    if (registration === null) throw new Error(`worker ${worker} is not registered`);
    return sessionHex(registration.stat.ephemeralOwner);
  }

  /**
   * Writes the tasks (in one transaction), bound to the worker's registration session as the
   * leader binds them (or to `workerSession`), and returns their keys.
   */
  async assign(
    worker: string,
    jobs: { type: Task['type']; payload: unknown }[],
    workerSession?: string,
  ): Promise<{ key: string; task: Task }[]> {
    const session = workerSession ?? (await this.workerSession(worker));
    const tasks = jobs.map((job) => ({
      key: nextJobKey(),
      task: taskData(worker, job.type, job.payload, session),
    }));
    const multi = this.client.multi();
    for (const { key, task } of tasks) {
      multi.create(taskPath(worker, key), encode(task), { acl: namespaceAcls().task });
    }
    await multi.commit();
    return tasks;
  }

  /** Writes one task; returns its key and data. */
  async assignOne(
    worker: string,
    type: Task['type'],
    payload: unknown,
  ): Promise<{ key: string; task: Task }> {
    const [assigned] = await this.assign(worker, [{ type, payload }]);
    if (assigned === undefined) throw new Error('no task written');
    return assigned;
  }

  async exists(path: string): Promise<boolean> {
    return (await this.client.exists(path)) !== null;
  }

  async result(key: string): Promise<JobResult | null> {
    try {
      return decode(JobResultSchema, (await this.client.getData(resultPath(key))).data, 'result');
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  async waitForResult(key: string, timeoutMs = 20_000): Promise<JobResult> {
    let result: JobResult | null = null;
    await waitFor(
      `/results/${key}`,
      async () => (result = await this.result(key)) !== null,
      timeoutMs,
    );
    return result!;
  }

  async waitForRequeued(key: string, timeoutMs = 20_000): Promise<QueuedJob> {
    let job: QueuedJob | null = null;
    await waitFor(
      `/queue/${key}`,
      async () => {
        try {
          const { data } = await this.client.getData(queuePath(key));
          job = decode(QueuedJobSchema, data, 'queued job');
          return true;
        } catch (error) {
          if (error instanceof NoNodeError) return false;
          throw error;
        }
      },
      timeoutMs,
    );
    return job!;
  }

  /** Writes /config as the admin (creates it the first time); returns its version. */
  async setConfig(values: Partial<LabConfig>): Promise<number> {
    const data = encode(values);
    try {
      return (await this.admin.setData(PATHS.config, data)).version;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      await this.admin.create(PATHS.config, data, { acl: namespaceAcls().config });
      return 0;
    }
  }
}

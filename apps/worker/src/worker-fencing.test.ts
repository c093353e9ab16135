/**
 * The worker's side of "every execution has its own fencing token, and no task node runs
 * twice": the execution log, tasks bound to the registration's session, a registration
 * deleted by someone else, a key that cannot be recorded, and a drain on SIGTERM.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeadJobSchema,
  deadPath,
  decode,
  encode,
  namespaceAcls,
  QueuedJobSchema,
  queuePath,
  resultPath,
  taskPath,
  workerPath,
} from '@zk-lab/lab-core';
import { NoNodeError } from '@zk-lab/zk-client';
import { type AppProcess, sharedConnectString, testRoot, useApps, waitFor } from '@zk-lab/test';
import { nextJobKey, taskData, TestLeader } from './__tests__/test-leader';

interface Execution {
  jobId: string;
  key: string;
  attempt: number;
  workerId: string;
  session: string;
  token: string;
  at: number;
}

function executions(file: string): Execution[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Execution);
}

describe('worker: executions and their fencing tokens', () => {
  const root = testRoot();
  const apps = useApps(() => ({ ZK_CONNECT: sharedConnectString(), ZK_ROOT: root }));
  const dir = mkdtempSync(join(tmpdir(), 'zk-lab-executions-'));
  let leader: TestLeader;

  beforeAll(async () => {
    leader = await TestLeader.connect(root);
  });
  afterAll(async () => {
    await leader?.close();
  });

  /** A worker with its own execution log, registered, with its task folder made. */
  async function startWorker(
    id: string,
    args: string[] = [],
  ): Promise<{ worker: AppProcess; log: string }> {
    const log = join(dir, `${id}.jsonl`);
    const worker = apps.start('worker', ['--id', id, '--execution-log', log, ...args]);
    await worker.port();
    await leader.waitForWorker(id);
    if (!(await leader.exists(`/assign/${id}`))) await leader.openAssignDir(id);
    return { worker, log };
  }

  /** What a leader does with a requeued job: the queue node back into a task of `worker`. */
  async function reassign(worker: string, key: string): Promise<void> {
    const { data, stat } = await leader.client.getData(queuePath(key));
    const job = decode(QueuedJobSchema, data, 'queued job');
    const task = {
      ...job,
      epoch: 1,
      worker,
      workerSession: await leader.workerSession(worker),
      assigned: Date.now(),
    };
    await leader.client
      .multi()
      .create(taskPath(worker, key), encode(task), { acl: namespaceAcls().task })
      .delete(queuePath(key), stat.version)
      .commit();
  }

  it('one log line per run, before the handler; the token grows across a requeue', async () => {
    const { log } = await startWorker('w-log');
    const { key, task } = await leader.assignOne('w-log', 'fail', { message: 'boom' });
    await leader.waitForRequeued(key);
    await reassign('w-log', key);
    await waitFor('the second run', async () => (await leader.waitForRequeued(key)).attempt === 3);
    const runs = executions(log).filter((e) => e.jobId === task.id);
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    expect(runs[0]).toMatchObject({
      key,
      workerId: 'w-log',
      session: await leader.workerSession('w-log'),
      token: expect.stringMatching(/^\d+$/) as unknown,
    });
    expect(BigInt(runs[1]!.token)).toBeGreaterThan(BigInt(runs[0]!.token));
  });

  it('a key whose result is another job’s: the task goes to /dead once, not run again and again', async () => {
    const { log } = await startWorker('w-collide');
    const key = nextJobKey();
    await leader.client.create(resultPath(key), encode({ id: 'an-older-job' }), {
      acl: namespaceAcls().record,
    });
    // The task is written at the colliding key directly: a task written elsewhere and moved
    // there could run (and be recorded) before the move.
    const task = taskData('w-collide', 'echo', 1, await leader.workerSession('w-collide'));
    await leader.client.create(taskPath('w-collide', key), encode(task), {
      acl: namespaceAcls().task,
    });
    await waitFor('the dead record', () => leader.exists(deadPath(key)));
    const dead = decode(DeadJobSchema, (await leader.client.getData(deadPath(key))).data, 'dead');
    expect(dead.reason).toMatch(/^key collision/);
    expect(await leader.exists(taskPath('w-collide', key))).toBe(false);
    expect(executions(log).filter((e) => e.key === key)).toHaveLength(1);
  });

  it('a registration deleted by someone else: the worker registers again, is ready, gets work', async () => {
    const { worker } = await startWorker('w-deleted');
    const before = await leader.waitForWorker('w-deleted');
    await leader.client.delete(workerPath('w-deleted'));
    await worker.waitForLog('the deletion', (l) => /deleted by another client/.test(l.msg));
    const again = await leader.waitForWorker('w-deleted');
    expect(again.stat.ephemeralOwner).toBe(before.stat.ephemeralOwner);
    expect(again.stat.czxid).toBeGreaterThan(before.stat.czxid);
    await waitFor('ready', async () => (await worker.get('/ready')).status === 200);
    const { key } = await leader.assignOne('w-deleted', 'echo', 'again');
    expect((await leader.waitForResult(key)).output).toBe('again');
  });

  it('SIGTERM while a job runs: it finishes and is recorded (one run, no failure), then exit 0', async () => {
    const { worker, log } = await startWorker('w-drain', ['--shutdown-grace', '5000']);
    const { key, task } = await leader.assignOne('w-drain', 'sleep', { ms: 1_500 });
    await waitFor('the run', () => executions(log).some((e) => e.key === key));
    worker.signal('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const result = await leader.result(key);
    expect(result).toMatchObject({ id: task.id, attempt: 1, failures: [], handBacks: [] });
    expect(executions(log).filter((e) => e.key === key)).toHaveLength(1);
    expect(await leader.exists(workerPath('w-drain'))).toBe(false);
  });

  it('SIGTERM past the grace period: the running job is handed back, not failed', async () => {
    const { worker } = await startWorker('w-grace', ['--shutdown-grace', '200']);
    const { key, task } = await leader.assignOne('w-grace', 'sleep', { ms: 20_000 });
    await worker.waitForLog('the run', (l) => l.jobKey === key && l.msg === 'job started');
    worker.signal('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const queued = await leader.waitForRequeued(key);
    expect(queued).toMatchObject({ id: task.id, attempt: 1, failures: [] });
    expect(queued.handBacks).toEqual([
      expect.objectContaining({ worker: 'w-grace', reason: 'worker w-grace shut down' }),
    ]);
  });

  it('a second process with the same id never runs the first one’s task node', async () => {
    const first = await startWorker('w-twin', ['--session-timeout', '1000']);
    const { key, task } = await leader.assignOne('w-twin', 'sleep', { ms: 30_000 });
    await waitFor('the first run', () => executions(first.log).some((e) => e.key === key));
    first.worker.signal('SIGSTOP');
    try {
      await waitFor(
        'the frozen session to expire',
        async () => (await leader.registration('w-twin')) === null,
        15_000,
      );
      const second = apps.start('worker', ['--id', 'w-twin', '--execution-log', first.log]);
      await second.port();
      // The task is bound to the first session: the second process hands it back.
      const queued = await leader.waitForRequeued(key);
      expect(queued).toMatchObject({ id: task.id, attempt: 1, failures: [] });
      expect(queued.handBacks).toHaveLength(1);
      const runs = executions(first.log).filter((e) => e.key === key);
      expect(runs).toHaveLength(1);
    } finally {
      first.worker.signal('SIGCONT');
    }
    await first.worker.waitForLog('LOST', (l) => l.msg === 'ZooKeeper session LOST');
    expect(executions(first.log).filter((e) => e.key === key)).toHaveLength(1);
    await expect(leader.client.getData(taskPath('w-twin', key))).rejects.toThrow(NoNodeError);
  });

  it('a task this version cannot read (newer protocol, unknown type) is handed back intact', async () => {
    const { log } = await startWorker('w-skew');
    const session = await leader.workerSession('w-skew');
    const newer = { key: nextJobKey() };
    const task = {
      id: '0f1e2d3c-aaaa-4bbb-8ccc-111122223333',
      type: 'teleport',
      payload: { to: 'mars' },
      created: 0,
      attempt: 1,
      protocol: 99,
      epoch: 1,
      worker: 'w-skew',
      workerSession: session,
      assigned: 0,
    };
    await leader.client.create(taskPath('w-skew', newer.key), encode(task), {
      acl: namespaceAcls().task,
    });
    const { data } = await waitForQueued(newer.key);
    const queued = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    expect(queued).toMatchObject({ type: 'teleport', protocol: 99, attempt: 1 });
    expect(queued).not.toHaveProperty('workerSession');
    expect(queued.handBacks).toEqual([
      expect.objectContaining({
        worker: 'w-skew',
        reason: expect.stringMatching(/cannot read/) as unknown,
      }),
    ]);
    expect(executions(log).filter((e) => e.key === newer.key)).toHaveLength(0);
  });

  it('an HTTP port already taken: exit 1 and no registration left behind', async () => {
    const holder = apps.start('worker', ['--id', 'w-port-holder']);
    const port = await holder.port();
    const clash = apps.start('worker', ['--id', 'w-port-clash', '--http-port', String(port)]);
    const exit = await clash.exited;
    expect(exit.code).toBe(1);
    await leader.client.sync(workerPath('w-port-clash'));
    expect(await leader.exists(workerPath('w-port-clash'))).toBe(false);
    expect(clash.logs.some((l) => l.msg === 'registered')).toBe(false);
  });

  async function waitForQueued(key: string): Promise<{ data: Buffer }> {
    let found: { data: Buffer } | null = null;
    await waitFor(`/queue/${key}`, async () => {
      try {
        found = await leader.client.getData(queuePath(key));
        return true;
      } catch (error) {
        if (error instanceof NoNodeError) return false;
        throw error;
      }
    });
    return found!;
  }
});

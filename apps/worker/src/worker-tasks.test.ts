/**
 * The built worker as a process, with the test playing the leader: it waits for the
 * registration, makes /assign/<id>, writes task nodes and reads what the worker wrote.
 */
import { namespaceAcls, queuePath, resultPath, taskPath } from '@zk-lab/lab-core';
import {
  type AppProcess,
  type LogLine,
  sharedConnectString,
  testRoot,
  useApps,
  waitFor,
} from '@zk-lab/test';
import { nextJobKey, TestLeader } from './__tests__/test-leader';

interface StatusJson {
  role: string;
  id: string;
  sessionId: string;
  session: string;
  registered: boolean;
  capacity: number;
  running: string[];
  totals: Record<string, number>;
  config: { version: number | null; values: { jobTimeoutMs: number }; rejected: unknown };
}

describe('a worker runs the tasks the leader assigns it', () => {
  const root = testRoot();
  const id = 'w-tasks';
  const apps = useApps(() => ({ ZK_CONNECT: sharedConnectString(), ZK_ROOT: root }));
  let leader: TestLeader;
  let worker: AppProcess | undefined;

  beforeAll(async () => {
    leader = await TestLeader.connect(root);
    // /assign/<id> does not exist yet when the worker starts: the leader makes it later.
    worker = apps.start('worker', ['--id', id, '--capacity', '4']);
    await worker.port();
    await leader.waitForWorker(id);
    await leader.openAssignDir(id);
  });
  afterAll(async () => {
    await leader?.close();
  });

  it('echo: /results/<key> holds the payload as output, and the task node is gone', async () => {
    const payload = { greeting: 'hello', list: [1, 2, 3] };
    const { key, task } = await leader.assignOne(id, 'echo', payload);
    const result = await leader.waitForResult(key);
    expect(result).toMatchObject({
      id: task.id,
      key,
      type: 'echo',
      outcome: 'succeeded',
      output: payload,
      worker: id,
      attempt: 1,
      epoch: 1,
      failures: [],
    });
    expect(result.started).toBeLessThanOrEqual(result.finished);
    expect(await leader.exists(taskPath(id, key))).toBe(false);
  });

  it('fail: the job is requeued with attempt 2 and one failure, and has no result', async () => {
    const { key, task } = await leader.assignOne(id, 'fail', { message: 'boom' });
    const queued = await leader.waitForRequeued(key);
    expect(queued).toMatchObject({ id: task.id, type: 'fail', attempt: 2 });
    expect(queued.failures).toEqual([
      { attempt: 1, worker: id, reason: 'boom', at: expect.any(Number) as unknown },
    ]);
    expect(await leader.exists(resultPath(key))).toBe(false);
    expect(await leader.exists(taskPath(id, key))).toBe(false);
  });

  it('a job past jobTimeoutMs (live config) is abandoned and requeued as timed out', async () => {
    const version = await leader.setConfig({ jobTimeoutMs: 300 });
    await waitFor('the worker to apply the config', async () => {
      const status = await worker!.getJson<StatusJson>('/status');
      return status.config.version === version;
    });
    try {
      const { key } = await leader.assignOne(id, 'sleep', { ms: 30_000 });
      const queued = await leader.waitForRequeued(key);
      expect(queued.attempt).toBe(2);
      expect(queued.failures).toEqual([
        {
          attempt: 1,
          worker: id,
          reason: 'timed out after 300 ms',
          at: expect.any(Number) as unknown,
        },
      ]);
      expect(await leader.exists(resultPath(key))).toBe(false);
      expect(await worker!.metric('zklab_worker_job_runs_total', { outcome: 'timed_out' })).toBe(1);
    } finally {
      const restored = await leader.setConfig({ jobTimeoutMs: 30_000 });
      await waitFor('the worker to apply the restored config', async () => {
        const status = await worker!.getJson<StatusJson>('/status');
        return status.config.version === restored;
      });
    }
  });

  it('a task the leader takes back while it runs: no result, counted as dropped', async () => {
    const { key } = await leader.assignOne(id, 'sleep', { ms: 1_500 });
    await waitFor('the job to run', async () =>
      (await worker!.getJson<StatusJson>('/status')).running.includes(key),
    );
    await leader.client.delete(taskPath(id, key));
    await waitFor(
      'the run to end',
      async () => !(await worker!.getJson<StatusJson>('/status')).running.includes(key),
    );
    expect(await leader.exists(resultPath(key))).toBe(false);
    expect(await leader.exists(queuePath(key))).toBe(false);
    expect(await worker!.metric('zklab_worker_job_runs_total', { outcome: 'dropped' })).toBe(1);
    expect(
      worker!.logs.some((l) => l.jobKey === key && /leader took the task back/.test(l.msg)),
    ).toBe(true);
  });

  it('an unreadable task is logged once and left for the leader to repair', async () => {
    const key = nextJobKey();
    await leader.client.create(taskPath(id, key), Buffer.from('{not json'), {
      acl: namespaceAcls().task,
    });
    const about = (l: LogLine): boolean =>
      l.path === taskPath(id, key) && /unreadable task/.test(l.msg);
    await worker!.waitForLog('the unreadable task', about);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past a backstop rescan
    expect(worker!.logs.filter(about)).toHaveLength(1);
    expect(await leader.exists(taskPath(id, key))).toBe(true);
    await leader.client.delete(taskPath(id, key));
  });

  it('/health, /ready, /status and /metrics answer', async () => {
    expect((await worker!.get('/health')).status).toBe(200);
    expect((await worker!.get('/ready')).status).toBe(200);
    const status = await worker!.getJson<StatusJson>('/status');
    expect(status).toMatchObject({
      role: 'worker',
      id,
      session: 'CONNECTED',
      registered: true,
      capacity: 4,
      running: [],
      totals: { succeeded: 1, failed: 1, timed_out: 1, dropped: 1 },
    });
    expect(status.sessionId).toMatch(/^0x[0-9a-f]+$/);
    expect(status.config.values.jobTimeoutMs).toBe(30_000);
    const { body: text } = await worker!.get('/metrics');
    for (const name of [
      'zklab_worker_job_runs_total',
      'zklab_job_duration_seconds_bucket',
      'zklab_jobs_running',
      'zklab_worker_registered',
      'zklab_session_state',
      'zklab_config_version',
    ]) {
      expect(text).toContain(name);
    }
    expect(await worker!.metric('zklab_worker_registered')).toBe(1);
    expect(await worker!.metric('zklab_session_state', { state: 'CONNECTED' })).toBe(1);
  });

  it('every job log line carries the worker, session, job key, job id, attempt and epoch', () => {
    const jobLines = worker!.logs.filter((l) => typeof l.jobKey === 'string');
    expect(jobLines.length).toBeGreaterThan(0);
    for (const line of jobLines) {
      expect(line).toMatchObject({
        workerId: id,
        sessionId: expect.stringMatching(/^0x/) as unknown,
        jobId: expect.any(String) as unknown,
        attempt: expect.any(Number) as unknown,
        epoch: 1,
      });
    }
  });
});

describe('capacity: a worker never runs more jobs at once than its capacity', () => {
  const root = testRoot();
  const id = 'w-capacity';
  const apps = useApps(() => ({ ZK_CONNECT: sharedConnectString(), ZK_ROOT: root }));
  let leader: TestLeader;
  let worker: AppProcess | undefined;

  beforeAll(async () => {
    leader = await TestLeader.connect(root);
    worker = apps.start('worker', ['--id', id, '--capacity', '2']);
    await worker.port();
    await leader.waitForWorker(id);
    await leader.openAssignDir(id);
  });
  afterAll(async () => {
    await leader?.close();
  });

  it('capacity 2 and 5 sleep tasks at once: at most 2 run together, all 5 finish', async () => {
    const tasks = await leader.assign(
      id,
      Array.from({ length: 5 }, () => ({ type: 'sleep' as const, payload: { ms: 400 } })),
    );
    const results = await Promise.all(tasks.map(({ key }) => leader.waitForResult(key)));
    // The most runs in progress at any instant, from the results' [started, finished].
    const edges = results
      .flatMap((r) => [
        { at: r.started, delta: 1 },
        { at: r.finished, delta: -1 },
      ])
      .sort((a, b) => a.at - b.at || a.delta - b.delta);
    let running = 0;
    let most = 0;
    for (const edge of edges) {
      running += edge.delta;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
    // Each freed slot took the next task from the names the watch announced: none waited
    // for the backstop's listing to be found.
    expect(worker!.logs.filter((l) => /backstop rescan found tasks/.test(l.msg))).toEqual([]);
  });
});

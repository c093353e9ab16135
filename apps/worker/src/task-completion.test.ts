import {
  connectToNamespace,
  decode,
  encode,
  JobResultSchema,
  loadCredentials,
  namespaceAcls,
  QueuedJobSchema,
  queuePath,
  resultPath,
  taskPath,
  assignDir,
} from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { nextJobKey, taskData } from './__tests__/test-leader';
import { TaskCompletion, type TaskRun } from './task-completion';

describe('TaskCompletion: one transaction records the outcome and removes the task node', () => {
  const root = testRoot();
  const worker = 'w-completion';
  let client: ZkClient;
  let completion: TaskCompletion;

  beforeAll(async () => {
    client = await connectToNamespace(
      { connectString: sharedConnectString(), root, sessionTimeoutMs: 4_000, source: 'flag' },
      loadCredentials('master'),
    );
    await client.create(assignDir(worker), undefined, { acl: namespaceAcls().job });
    completion = new TaskCompletion(client, worker, namespaceAcls());
  });
  afterAll(async () => {
    await client.close();
  });

  async function assigned(type: 'echo' | 'fail', payload: unknown): Promise<TaskRun> {
    const key = nextJobKey();
    const task = taskData(worker, type, payload);
    await client.create(taskPath(worker, key), encode(task), { acl: namespaceAcls().job });
    const { czxid } = (await client.exists(taskPath(worker, key)))!;
    return { key, task, session: client.sessionId, czxid, started: Date.now() };
  }

  it('success: the result is written and the task node removed', async () => {
    const run = await assigned('echo', { a: 1 });
    expect(await completion.succeeded(run, { a: 1 }, Date.now())).toBe('recorded');
    const result = decode(JobResultSchema, (await client.getData(resultPath(run.key))).data, 'r');
    expect(result).toMatchObject({
      id: run.task.id,
      key: run.key,
      outcome: 'succeeded',
      output: { a: 1 },
      worker,
      attempt: 1,
      epoch: 1,
    });
    expect(await client.exists(taskPath(worker, run.key))).toBeNull();
  });

  it('failure: the job goes back to the queue with attempt + 1 and the failure', async () => {
    const run = await assigned('fail', { message: 'boom' });
    expect(await completion.failed(run, 'boom', 1234)).toBe('recorded');
    const queued = decode(QueuedJobSchema, (await client.getData(queuePath(run.key))).data, 'q');
    expect(queued).toEqual({
      id: run.task.id,
      type: 'fail',
      payload: { message: 'boom' },
      created: run.task.created,
      attempt: 2,
      failures: [{ attempt: 1, worker, reason: 'boom', at: 1234 }],
    });
    expect(await client.exists(taskPath(worker, run.key))).toBeNull();
  });

  it('a task the leader took back (node gone): nothing is written', async () => {
    const run = await assigned('echo', 'x');
    await client.delete(taskPath(worker, run.key));
    expect(await completion.succeeded(run, 'x', Date.now())).toBe('taken_back');
    expect(await completion.failed(run, 'late', Date.now())).toBe('taken_back');
    expect(await client.exists(resultPath(run.key))).toBeNull();
    expect(await client.exists(queuePath(run.key))).toBeNull();
  });

  it('a result that exists already is never overwritten, and the task node stays', async () => {
    const run = await assigned('echo', 'y');
    await client.create(resultPath(run.key), encode({ other: true }), {
      acl: namespaceAcls().job,
    });
    expect(await completion.succeeded(run, 'y', Date.now())).toBe('result_exists');
    expect((await client.getData(resultPath(run.key))).data.toString()).toBe('{"other":true}');
    expect(await client.exists(taskPath(worker, run.key))).not.toBeNull();
  });

  it('a run of an earlier session writes nothing', async () => {
    const run = { ...(await assigned('echo', 'z')), session: client.sessionId + 1n };
    expect(await completion.succeeded(run, 'z', Date.now())).toBe('session_lost');
    expect(await client.exists(resultPath(run.key))).toBeNull();
    expect(await client.exists(taskPath(worker, run.key))).not.toBeNull();
  });
});

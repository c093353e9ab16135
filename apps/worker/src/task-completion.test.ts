import {
  connectToNamespace,
  DeadJobSchema,
  deadPath,
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
    const { czxid, version } = (await client.exists(taskPath(worker, key)))!;
    return { key, task, session: client.sessionId, czxid, version, started: Date.now() };
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
      protocol: expect.any(Number) as unknown,
      handBacks: [],
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

  it('a result of the same job exists already: nothing is overwritten, the task node goes', async () => {
    const run = await assigned('echo', 'y');
    const earlier = encode({ id: run.task.id, earlier: true });
    await client.create(resultPath(run.key), earlier, { acl: namespaceAcls().job });
    expect(await completion.succeeded(run, 'y', Date.now())).toBe('already_recorded');
    expect((await client.getData(resultPath(run.key))).data.equals(earlier)).toBe(true);
    expect(await client.exists(taskPath(worker, run.key))).toBeNull();
  });

  it('another job’s result under the key: the task goes to /dead as a key collision', async () => {
    const run = await assigned('echo', 'y');
    await client.create(resultPath(run.key), encode({ id: 'someone-else' }), {
      acl: namespaceAcls().job,
    });
    expect(await completion.succeeded(run, 'y', Date.now())).toBe('key_collision');
    expect((await client.getData(resultPath(run.key))).data.toString()).toBe(
      '{"id":"someone-else"}',
    );
    const dead = decode(DeadJobSchema, (await client.getData(deadPath(run.key))).data, 'dead');
    expect(dead.reason).toMatch(/^key collision: .*someone-else/);
    expect(dead.job?.id).toBe(run.task.id);
    expect(await client.exists(taskPath(worker, run.key))).toBeNull();
  });

  it('another job’s queue node under the key: a failure goes to /dead as a key collision', async () => {
    const run = await assigned('fail', {});
    await client.create(queuePath(run.key), encode({ id: 'someone-else' }), {
      acl: namespaceAcls().job,
    });
    expect(await completion.failed(run, 'boom', Date.now())).toBe('key_collision');
    expect(await client.exists(deadPath(run.key))).not.toBeNull();
    expect(await client.exists(taskPath(worker, run.key))).toBeNull();
  });

  it('a run of an earlier session writes nothing', async () => {
    const run = { ...(await assigned('echo', 'z')), session: client.sessionId + 1n };
    expect(await completion.succeeded(run, 'z', Date.now())).toBe('session_lost');
    expect(await client.exists(resultPath(run.key))).toBeNull();
    expect(await client.exists(taskPath(worker, run.key))).not.toBeNull();
  });
});

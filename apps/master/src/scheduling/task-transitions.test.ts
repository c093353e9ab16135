// The leader's transitions against the real shared ensemble: each is one epoch-checked
// multi, so a deposed leader's write fails as a whole and leaves everything as it was.
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { CreateMode, type ZkClient } from '@zk-lab/zk-client';
import {
  connectToNamespace,
  DEFAULT_CONFIG,
  decode,
  encode,
  loadCredentials,
  namespaceAcls,
  PATHS,
  QueuedJobSchema,
  resolveConnection,
  sessionHex,
  TaskSchema,
  DeadJobSchema,
  type QueuedJob,
} from '@zk-lab/lab-core';
import { claimEpoch, storedEpoch } from './epoch';
import { type RegistrationRef, TaskTransitions } from './task-transitions';

const job = (attempt = 1): QueuedJob => ({
  id: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f',
  type: 'echo',
  payload: { n: 1 },
  created: Date.now(),
  attempt,
  failures: [],
  handBacks: [],
});

describe('the leader’s transitions', () => {
  const root = testRoot();
  let client: ZkClient;
  const acl = () => namespaceAcls({}).job;

  beforeAll(async () => {
    client = await connectToNamespace(
      resolveConnection({}, { ZK_CONNECT: sharedConnectString(), ZK_ROOT: root }),
      loadCredentials('master', {}),
    );
    await client.create(`${PATHS.assign}/w1`, undefined, { acl: acl() });
    // w1's registration: tasks are bound to its session.
    await client.create(`${PATHS.workers}/w1`, undefined, {
      mode: CreateMode.EPHEMERAL,
      acl: acl(),
    });
  });
  afterAll(async () => {
    await client.close();
  });

  /** w1's registration as a round reads it. */
  async function w1(): Promise<RegistrationRef> {
    const stat = (await client.exists(`${PATHS.workers}/w1`))!;
    return { id: 'w1', session: stat.ephemeralOwner, version: stat.version };
  }

  async function enqueue(value: unknown): Promise<string> {
    const path = await client.create(`${PATHS.queue}/job-`, encode(value), {
      mode: CreateMode.PERSISTENT_SEQUENTIAL,
      acl: acl(),
    });
    return path.slice(PATHS.queue.length + 1);
  }

  it('claims a new epoch each time, even from concurrent claims', async () => {
    const claims = await Promise.all([1, 2, 3, 4].map(() => claimEpoch(client, acl())));
    const epochs = claims.map((c) => c.epoch).sort((a, b) => a - b);
    expect(new Set(epochs).size).toBe(4);
    expect(storedEpoch(Buffer.from('garbage'), 6)).toBe(7);
    expect(storedEpoch(Buffer.from('12'), 3)).toBe(12);
  });

  it('a claim cancelled while in flight never moves /epoch past the next term’s claim', async () => {
    // Interleaving B of review F1: a stopped term's claim must not steal the epoch.
    const stopped = new AbortController();
    const first = claimEpoch(client, acl(), { signal: stopped.signal });
    stopped.abort(new Error('term stopped'));
    const next = await claimEpoch(client, acl());
    await expect(first).rejects.toThrow('term stopped');
    const { stat } = await client.getData(PATHS.epoch);
    expect(stat.version).toBe(next.version);
  });

  it('assigns with the current epoch, and a deposed leader’s assignment changes nothing', async () => {
    const old = await claimEpoch(client, acl());
    const current = await claimEpoch(client, acl());
    const name = await enqueue(job());

    const fenced = await new TaskTransitions(client, old, namespaceAcls({})).assign(
      name,
      name,
      await w1(),
      DEFAULT_CONFIG,
    );
    expect(fenced).toEqual({ kind: 'fenced' });
    expect(await client.exists(`${PATHS.queue}/${name}`)).not.toBeNull();
    expect(await client.exists(`${PATHS.assign}/w1/${name}`)).toBeNull();

    const done = await new TaskTransitions(client, current, namespaceAcls({})).assign(
      name,
      name,
      await w1(),
      DEFAULT_CONFIG,
    );
    expect(done).toEqual({ kind: 'done' });
    expect(await client.exists(`${PATHS.queue}/${name}`)).toBeNull();
    const task = decode(
      TaskSchema,
      (await client.getData(`${PATHS.assign}/w1/${name}`)).data,
      'task',
    );
    expect(task).toMatchObject({
      epoch: current.epoch,
      worker: 'w1',
      workerSession: sessionHex(client.sessionId),
      attempt: 1,
    });
  });

  it('assigns nothing to a worker not registered, or whose registration changed since the round read it', async () => {
    const transitions = new TaskTransitions(
      client,
      await claimEpoch(client, acl()),
      namespaceAcls({}),
    );
    const name = await enqueue(job());
    const gone = { id: 'w-gone', session: client.sessionId, version: 0 };
    expect(await transitions.assign(name, name, gone, DEFAULT_CONFIG)).toMatchObject({
      kind: 'moot',
    });
    expect(await client.exists(`${PATHS.queue}/${name}`)).not.toBeNull();
    // A registration rewritten since the round read it (capacity, draining): nothing either.
    const read = await w1();
    await client.setData(`${PATHS.workers}/w1`, '');
    expect(await transitions.assign(name, name, read, DEFAULT_CONFIG)).toMatchObject({
      kind: 'moot',
    });
    expect(await client.exists(`${PATHS.queue}/${name}`)).not.toBeNull();
    expect(await client.exists(`${PATHS.assign}/w1/${name}`)).toBeNull();
    await client.delete(`${PATHS.queue}/${name}`);
  });

  it('hands a departed worker’s task back: same attempt, no failure, one hand-back', async () => {
    const claim = await claimEpoch(client, acl());
    const transitions = new TaskTransitions(client, claim, namespaceAcls({}));
    const name = await enqueue(job());
    await transitions.assign(name, name, await w1(), DEFAULT_CONFIG);

    expect(await transitions.requeue('w1', name, 'worker w1 vanished')).toEqual({ kind: 'done' });
    const requeued = decode(
      QueuedJobSchema,
      (await client.getData(`${PATHS.queue}/${name}`)).data,
      'job',
    );
    expect(requeued.attempt).toBe(1);
    expect(requeued.failures).toEqual([]);
    expect(requeued.handBacks).toEqual([
      expect.objectContaining({ worker: 'w1', reason: 'worker w1 vanished' }),
    ]);
    expect(await client.exists(`${PATHS.assign}/w1/${name}`)).toBeNull();
  });

  it('buries a job past its attempts, past its hand-backs, and unreadable data, with the reason', async () => {
    const transitions = new TaskTransitions(
      client,
      await claimEpoch(client, acl()),
      namespaceAcls({}),
    );
    const tired = await enqueue({
      ...job(4),
      failures: [{ attempt: 3, worker: 'w1', reason: 'boom', at: 1 }],
    });
    const garbage = await enqueue('not a job');
    const bounced = await enqueue({
      ...job(),
      handBacks: Array.from({ length: 21 }, (_, i) => ({
        worker: 'w1',
        reason: `gone ${i}`,
        at: i,
      })),
    });

    expect(await transitions.assign(tired, tired, await w1(), DEFAULT_CONFIG)).toMatchObject({
      kind: 'done',
    });
    expect(await transitions.assign(garbage, garbage, await w1(), DEFAULT_CONFIG)).toMatchObject({
      kind: 'done',
    });
    expect(await transitions.assign(bounced, bounced, await w1(), DEFAULT_CONFIG)).toMatchObject({
      kind: 'done',
    });

    const dead = async (key: string) =>
      decode(DeadJobSchema, (await client.getData(`${PATHS.dead}/${key}`)).data, 'dead');
    expect((await dead(tired)).reason).toBe('failed 3 attempts (max 3); last: boom');
    expect(await dead(garbage)).toMatchObject({ job: null, raw: '"not a job"' });
    expect((await dead(bounced)).reason).toBe('handed back 21 times (max 20); last: gone 20');
    expect(await client.getChildren(`${PATHS.assign}/w1`)).not.toContain(tired);
  });
});

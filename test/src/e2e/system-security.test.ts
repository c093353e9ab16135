// Digest ACLs protect the namespace (DESIGN section 9): each role has its own identity and
// may do only its own part; an unauthenticated client can do nothing (world READ is off
// outside the lab); an app with the wrong password cannot work and says why.
import { CreateMode, NoAuthError, ZkClient } from '@zk-lab/zk-client';
import { assignDir, loadCredentials, PATHS, type Role, WorkerOwnIdentity } from '@zk-lab/lab-core';
import { sharedConnectString, useLabSystem, waitFor, waitForSettled } from '@zk-lab/test';

describe('the namespace under per-role digest ACLs', () => {
  const system = useLabSystem();
  const clients: ZkClient[] = [];
  let stranger: ZkClient;
  /** A task of worker w1 that stays assigned while the tests run. */
  let task: string;

  async function as(role: Role, extra: { scheme: string; credentials: string }[] = []) {
    const client = await ZkClient.connect({
      connectString: `${sharedConnectString()}${system.root}`,
      auth: [loadCredentials(role, {}).authInfo(), ...extra],
    });
    clients.push(client);
    return client;
  }

  async function refused(what: string, attempt: () => Promise<unknown>): Promise<void> {
    await expect(attempt().then(() => `${what}: allowed`)).rejects.toBeInstanceOf(NoAuthError);
  }

  beforeAll(async () => {
    system.startMaster('m1');
    system.startWorker('w1', ['--capacity', '1']);
    await system.waitForWorkers(['w1']);
    await system.produce(['--type', 'echo', '--payload', '{"hello":"world"}']);
    await waitForSettled(system.observer, 1, 30_000);
    await system.produce(['--type', 'sleep', '--payload', '{"ms":30000}']);
    await waitFor(
      'a task in /assign/w1',
      async () => (await system.observer.getChildren(assignDir('w1'))).length === 1,
      15_000,
    );
    task = (await system.observer.getChildren(assignDir('w1')))[0]!;
    stranger = await ZkClient.connect({ connectString: `${sharedConnectString()}${system.root}` });
    clients.push(stranger);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
  });

  it('an unauthenticated client can read nothing and change nothing', async () => {
    await refused('list the results', () => stranger.getChildren(PATHS.results));
    await refused('read the config', () => stranger.getData(PATHS.config));
    const [election] = await system.observer.getChildren(PATHS.election);
    const attempts: [string, () => Promise<unknown>][] = [
      ['create under the root', () => stranger.create('/intruder')],
      [
        'enqueue a job',
        () =>
          stranger.create(`${PATHS.queue}/job-`, '{}', { mode: CreateMode.PERSISTENT_SEQUENTIAL }),
      ],
      [
        'register a worker',
        () => stranger.create(`${PATHS.workers}/fake`, '{}', { mode: CreateMode.EPHEMERAL }),
      ],
      ['write the config', () => stranger.setData(PATHS.config, '{}')],
      ['move the epoch', () => stranger.setData(PATHS.epoch, '99')],
      ['overwrite a registration', () => stranger.setData(`${PATHS.workers}/w1`, '{}')],
      ['overwrite an election node', () => stranger.setData(`${PATHS.election}/${election}`, 'me')],
      ['change the root', () => stranger.setData('/', 'x')],
    ];
    for (const [what, attempt] of attempts) await refused(what, attempt);
  });

  it("a producer may enqueue, but not move the fence, forge results or remove others' nodes", async () => {
    const producer = await as('producer');
    await refused('move the epoch', () => producer.setData(PATHS.epoch, '99'));
    await refused('forge a result', () => producer.create(`${PATHS.results}/x`, '{}'));
    await refused('delete a registration', () => producer.delete(`${PATHS.workers}/w1`));
    await refused('delete a queue node', () => producer.delete(`${PATHS.queue}/job-0000000001`));
    await refused('delete a task', () => producer.delete(`${assignDir('w1')}/${task}`));
    await refused('register a worker', () =>
      producer.create(`${PATHS.workers}/fake`, '{}', { mode: CreateMode.EPHEMERAL }),
    );
    await refused('write the config', () => producer.setData(PATHS.config, '{}'));
  });

  it("a worker (role and own identity) may not touch another worker's tasks or the fence", async () => {
    const other = new WorkerOwnIdentity('w2');
    const worker = await as('worker', [other.authInfo()]);
    await refused("delete w1's task", () => worker.delete(`${assignDir('w1')}/${task}`));
    await refused('move the epoch', () => worker.setData(PATHS.epoch, '99'));
    await refused('delete a registration', () => worker.delete(`${PATHS.workers}/w1`));
    await refused('overwrite a registration', () => worker.setData(`${PATHS.workers}/w1`, '{}'));
    await refused('write the config', () => worker.setData(PATHS.config, '{}'));
    // What a worker must be able to do: read its task, record a result.
    expect((await worker.getData(`${assignDir('w1')}/${task}`)).data.length).toBeGreaterThan(0);
  });

  it('stops a worker with the wrong password with a clear error', async () => {
    const { code, stdout, stderr } = await system.apps.run('worker', ['--id', 'impostor'], {
      env: { ZK_WORKER_AUTH: 'zk-lab-worker:not-the-password' },
      timeoutMs: 30_000,
    });
    expect(code).toBe(1);
    expect(`${stdout}\n${stderr}`).toMatch(/not authori[sz]ed|NoAuth|credentials/i);
    expect(await system.observer.exists(`${PATHS.workers}/impostor`)).toBeNull();
  });

  it('refuses the old shared ZK_APP_AUTH by name (exit 2)', async () => {
    const { code, stderr } = await system.apps.run('worker', ['--id', 'old'], {
      env: { ZK_APP_AUTH: 'zk-lab-app:zk-lab-app-secret' },
      timeoutMs: 30_000,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/ZK_APP_AUTH is invalid: the shared app identity is gone/);
  });

  // Last: moving the epoch fences the running leader.
  it('a master may move the epoch', async () => {
    const master = await as('master');
    const { data } = await master.getData(PATHS.epoch);
    await master.setData(PATHS.epoch, data);
  });
});

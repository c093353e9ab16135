// Digest ACLs protect the namespace: an unauthenticated client can read but change nothing
// under the root, and an app with the wrong password cannot work and says why.
import { CreateMode, NoAuthError, ZkClient } from '@zk-lab/zk-client';
import { PATHS } from '@zk-lab/lab-core';
import { sharedConnectString, useLabSystem, waitForSettled } from '@zk-lab/test';

describe('the namespace under digest ACLs', () => {
  const system = useLabSystem();
  let stranger: ZkClient;

  beforeAll(async () => {
    system.startMaster('m1');
    system.startWorker('w1');
    await system.waitForWorkers(['w1']);
    await system.produce(['--type', 'echo', '--payload', '{"hello":"world"}']);
    await waitForSettled(system.observer, 1, 30_000);
    stranger = await ZkClient.connect({ connectString: `${sharedConnectString()}${system.root}` });
  });
  afterAll(async () => {
    await stranger?.close();
  });

  it('lets an unauthenticated client read', async () => {
    expect(await stranger.getChildren(PATHS.results)).toHaveLength(1);
    expect((await stranger.getData(PATHS.config)).data.length).toBeGreaterThan(0);
  });

  it('lets an unauthenticated client change nothing under the root', async () => {
    const [result] = await stranger.getChildren(PATHS.results);
    const [election] = await stranger.getChildren(PATHS.election);
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
      ['delete a result', () => stranger.delete(`${PATHS.results}/${result}`)],
      ['overwrite a registration', () => stranger.setData(`${PATHS.workers}/w1`, '{}')],
      ['overwrite an election node', () => stranger.setData(`${PATHS.election}/${election}`, 'me')],
      ['change the root', () => stranger.setData('/', 'x')],
    ];
    for (const [what, attempt] of attempts) {
      await expect(attempt().then(() => `${what}: allowed`)).rejects.toBeInstanceOf(NoAuthError);
    }
  });

  it('stops a worker with the wrong password with a clear error', async () => {
    const { code, stdout, stderr } = await system.apps.run('worker', ['--id', 'impostor'], {
      env: { ZK_APP_AUTH: 'zk-lab-app:not-the-password' },
      timeoutMs: 30_000,
    });
    expect(code).toBe(1);
    expect(`${stdout}\n${stderr}`).toMatch(/not authori[sz]ed|NoAuth|credentials/i);
    expect(await stranger.exists(`${PATHS.workers}/impostor`)).toBeNull();
  });
});

// connectToNamespace against the real shared ensemble: the root and system parents are made
// with the digest ACLs, and credentials the root does not grant are refused at connect.
import { NoAuthError, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import {
  connectToNamespace,
  NamespaceMissingError,
  NotAuthorizedError,
  resolveConnection,
} from './connection';
import { ConfigWatcher } from './config-watcher';
import { loadCredentials, namespaceAcls } from './credentials';
import { PATHS } from './namespace';

describe('connectToNamespace', () => {
  const root = testRoot();
  const env = () => ({ ZK_CONNECT: sharedConnectString(), ZK_ROOT: root });

  it('makes the namespace with the ACLs, and refuses a wrong password at connect', async () => {
    const app = await connectToNamespace(
      resolveConnection({}, env()),
      loadCredentials('master', {}),
    );
    try {
      expect((await app.getACL(PATHS.queue)).acl).toEqual(namespaceAcls({}).parents[PATHS.queue]);
      const stranger = await ZkClient.connect({ connectString: `${sharedConnectString()}${root}` });
      await expect(stranger.create(`${PATHS.queue}/x`)).rejects.toBeInstanceOf(NoAuthError);
      await stranger.close();
    } finally {
      await app.close();
    }
    await expect(
      connectToNamespace(
        resolveConnection({}, env()),
        loadCredentials('master', { ZK_MASTER_AUTH: 'zk-lab-master:wrong-password' }),
      ),
    ).rejects.toBeInstanceOf(NotAuthorizedError);
  });
});

describe('connectToNamespace without createNamespace', () => {
  const root = testRoot();
  const env = () => ({ ZK_CONNECT: sharedConnectString(), ZK_ROOT: `${root}-typo` });

  it('refuses a missing namespace and creates nothing (a mistyped --root)', async () => {
    const connecting = connectToNamespace(
      resolveConnection({}, env()),
      loadCredentials('master', {}),
      {
        createNamespace: false,
      },
    );
    await expect(connecting).rejects.toBeInstanceOf(NamespaceMissingError);
    await expect(connecting).rejects.toThrow(`no zk-lab namespace at ${root}-typo`);
    const look = await ZkClient.connect({ connectString: sharedConnectString() });
    try {
      expect(await look.exists(`${root}-typo`)).toBeNull();
    } finally {
      await look.close();
    }
  });
});

describe('ConfigWatcher', () => {
  const root = testRoot();

  it('applies good versions, keeps the last good one on bad data, and survives a delete', async () => {
    const settings = resolveConnection({}, { ZK_CONNECT: sharedConnectString(), ZK_ROOT: root });
    const admin = await connectToNamespace(settings, loadCredentials('admin', {}));
    const watcher = new ConfigWatcher(admin);
    const events: string[] = [];
    watcher.on('applied', (c, diff, v) => events.push(`applied ${v} ${JSON.stringify(diff)}`));
    watcher.on('rejected', (_e, v) => events.push(`rejected ${v}`));
    watcher.on('deleted', () => events.push('deleted'));
    try {
      await watcher.start();
      expect(watcher.status().version).toBeNull();
      const acl = namespaceAcls({}).config;
      // A watch promises the latest state, not every state: a version overwritten before the
      // watcher reads it is never seen. Each step waits for its event before the next write.
      const seen = async (count: number) => {
        const deadline = Date.now() + 10_000;
        while (events.length < count && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
      };
      await admin.create(PATHS.config, '{"maxAttempts": 5}', { acl });
      await seen(1);
      await admin.setData(PATHS.config, 'not json');
      await seen(2);
      await admin.delete(PATHS.config);
      await seen(3);
      await admin.create(PATHS.config, '{"maxAttempts": 2}', { acl });
      await seen(4);
      expect(events).toEqual([
        'applied 0 {"maxAttempts":{"from":3,"to":5}}',
        'rejected 1',
        'deleted',
        'applied 0 {"maxAttempts":{"from":5,"to":2}}',
      ]);
      expect(watcher.status()).toMatchObject({
        version: 0,
        rejected: null,
        reloads: { applied: 2, rejected: 1 },
      });
    } finally {
      await watcher.close();
      await admin.close();
    }
  });
});

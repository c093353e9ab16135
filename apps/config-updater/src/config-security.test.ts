import { createServer } from 'node:net';
import { PATHS } from '@zk-lab/lab-core';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { NoAuthError, ZkClient } from '@zk-lab/zk-client';
import { connectAs, useConfigCli } from './__tests__/config-cli';

const { runCli, getJson } = useConfigCli();
// Roots are siblings under "/", not children of one test root: connecting with a root makes
// the client create it and its ancestors, which an identity without CREATE on a protected
// parent is refused even when the node exists.
const base = testRoot();

describe('only the admin identity can change /config', () => {
  const root = `${base}-acl`;

  beforeAll(async () => {
    expect((await runCli(['set', '{"workerCapacity": 5}'], { root })).code).toBe(0);
  });

  it('the app identity cannot setData /config', async () => {
    const app = await connectAs('master', root);
    try {
      await expect(app.setData(PATHS.config, '{"workerCapacity": 9}')).rejects.toBeInstanceOf(
        NoAuthError,
      );
      await expect(app.create(`${PATHS.configHistory}/v-x`, '{}')).rejects.toBeInstanceOf(
        NoAuthError,
      );
    } finally {
      await app.close();
    }
  });

  it('an unauthenticated client cannot setData /config', async () => {
    const anonymous = await ZkClient.connect({ connectString: sharedConnectString(), root });
    try {
      await expect(anonymous.setData(PATHS.config, '{}')).rejects.toBeInstanceOf(NoAuthError);
    } finally {
      await anonymous.close();
    }
    expect(await getJson(root)).toMatchObject({ version: 0, config: { workerCapacity: 5 } });
  });

  it('wrong admin credentials: exit 1, refused for /config, nothing written', async () => {
    const result = await runCli(['edit', 'workerCapacity=6'], {
      root,
      env: { ZK_ADMIN_AUTH: 'zk-lab-admin:not-the-password' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refused the admin credentials.* for \/config.*ZK_ADMIN_AUTH/);
    expect(await getJson(root)).toMatchObject({ version: 0, config: { workerCapacity: 5 } });
  });

  it('malformed admin credentials are bad input: exit 2, the value never printed', async () => {
    const result = await runCli(['get'], { root, env: { ZK_ADMIN_AUTH: 'no-colon-here' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ZK_ADMIN_AUTH is invalid');
    expect(result.stderr).not.toContain('no-colon-here');
  });
});

describe('ZooKeeper unreachable', () => {
  it('exits 1 with a clear message within the connect timeout', async () => {
    const port = await freePort();
    const result = await runCli(['get', '--connect-timeout', '1000'], {
      root: `${base}-unreachable`,
      env: { ZK_CONNECT: `127.0.0.1:${port}` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot reach ZooKeeper at 127.0.0.1:${port}: no server answered within 1000 ms`,
    );
  });
});

/** A port nothing listens on: taken from the OS, then released. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolvePort(address.port);
      });
    });
  });
}

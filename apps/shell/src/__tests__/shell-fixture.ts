/** What every shell test file needs: the built shell, and a root of its own with a client. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';

/** The shell as the user runs it: the built entry point (npm test builds first). */
export const SHELL_MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

/**
 * A root path of this file's own on the shared ensemble and a client to look with; the
 * subtree is deleted after the file (`cleanupAuth` proves an identity first, for nodes a
 * test locked with an ACL). `env` points the shell's history at a file of the test's own,
 * never at the user's.
 */
export function useShellFixture(cleanupAuth?: string): {
  root: string;
  client: () => ZkClient;
  history: string;
  env: Record<string, string>;
} {
  const root = testRoot();
  const home = mkdtempSync(join(tmpdir(), 'zk-shell-test-'));
  const history = join(home, 'shell_history');
  let client: ZkClient | undefined;
  beforeAll(async () => {
    if (!existsSync(SHELL_MAIN)) {
      throw new Error(`${SHELL_MAIN} is missing: build @zk-lab/shell first`);
    }
    client = await ZkClient.connect({ connectString: sharedConnectString() });
    await client.ensurePath(root);
  });
  afterAll(async () => {
    if (cleanupAuth !== undefined) await client?.addAuth('digest', cleanupAuth);
    await client?.deleteRecursive(root);
    await client?.close();
    rmSync(home, { recursive: true, force: true });
  });
  return {
    root,
    history,
    env: { ZK_SHELL_HISTORY: history },
    client: () => {
      if (client === undefined) throw new Error('the client is available from beforeAll on');
      return client;
    },
  };
}

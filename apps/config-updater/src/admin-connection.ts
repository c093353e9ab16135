/**
 * The updater's one way into ZooKeeper: as the admin identity (ZK_ADMIN_AUTH), which alone
 * may write /config, with a bounded wait for the first session.
 */
import { connectToNamespace, loadCredentials, namespaceAcls } from '@zk-lab/lab-core';
import { ConnectionLossError, type ZkClient } from '@zk-lab/zk-client';
import type { ZooKeeperArgs } from './args';
import { ConfigStore } from './config-store';

/** No server of the ensemble answered within the connect timeout. */
export class ZooKeeperUnreachableError extends Error {
  override readonly name = 'ZooKeeperUnreachableError';
  constructor(connectString: string, timeoutMs: number) {
    super(`cannot reach ZooKeeper at ${connectString}: no server answered within ${timeoutMs} ms`);
  }
}

/** Connects as admin, runs `task` with the config store, and always closes the session. */
export async function withConfigStore<T>(
  args: ZooKeeperArgs,
  task: (store: ConfigStore) => Promise<T>,
): Promise<T> {
  const credentials = loadCredentials('admin');
  const acls = namespaceAcls();
  let client: ZkClient;
  try {
    client = await connectToNamespace(args.connection, credentials, {
      connectTimeoutMs: args.connectTimeoutMs,
    });
  } catch (error) {
    if (error instanceof ConnectionLossError && error.op === 'connect') {
      throw new ZooKeeperUnreachableError(args.connection.connectString, args.connectTimeoutMs);
    }
    throw error;
  }
  try {
    return await task(new ConfigStore(client, acls.config, credentials.user));
  } finally {
    await client.close();
  }
}

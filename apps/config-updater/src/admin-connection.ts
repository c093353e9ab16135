/**
 * The updater's one way into ZooKeeper: as the admin identity (ZK_ADMIN_AUTH), which alone
 * may write /config, with a bounded wait for the first session.
 */
import { connectWithin, loadCredentials, namespaceAcls } from '@zk-lab/lab-core';
import type { ZooKeeperArgs } from './args';
import { ConfigStore } from './config-store';

/** Connects as admin, runs `task` with the config store, and always closes the session. */
export async function withConfigStore<T>(
  args: ZooKeeperArgs,
  task: (store: ConfigStore) => Promise<T>,
): Promise<T> {
  const credentials = loadCredentials('admin');
  const acls = namespaceAcls();
  const client = await connectWithin(args.connection, credentials, args.connectTimeoutMs);
  try {
    return await task(new ConfigStore(client, acls.config, credentials.user));
  } finally {
    await client.close();
  }
}

/**
 * The one error a command-line app (producer, config updater) gives when no server of the
 * ensemble answered within its connect timeout: exit 1, with what to check.
 */
import { ConnectionLossError, type ZkClient } from '@zk-lab/zk-client';
import { type ConnectionSettings, connectToNamespace } from './connection';
import type { Credentials } from './credentials';

export class ZooKeeperUnreachableError extends Error {
  override readonly name = 'ZooKeeperUnreachableError';
  constructor(
    readonly connectString: string,
    readonly timeoutMs: number,
  ) {
    super(
      `cannot reach ZooKeeper at ${connectString}: no server answered within ${timeoutMs} ms ` +
        '(is the ensemble running (npm run lab), and is the connect string right?)',
    );
  }
}

/** `connectToNamespace` with a bounded wait: a dead ensemble is ZooKeeperUnreachableError. */
export async function connectWithin(
  settings: ConnectionSettings,
  credentials: Credentials,
  connectTimeoutMs: number,
  options: { createNamespace?: boolean } = {},
): Promise<ZkClient> {
  try {
    return await connectToNamespace(settings, credentials, { connectTimeoutMs, ...options });
  } catch (error) {
    if (error instanceof ConnectionLossError && error.op === 'connect') {
      throw new ZooKeeperUnreachableError(settings.connectString, connectTimeoutMs);
    }
    throw error;
  }
}

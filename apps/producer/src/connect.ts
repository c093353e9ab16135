import { type ConnectionSettings, connectToNamespace, type Credentials } from '@zk-lab/lab-core';
import { ConnectionLossError, type ZkClient } from '@zk-lab/zk-client';

/** No server answered within the connect timeout: exit 1. */
export class ZooKeeperUnreachableError extends Error {
  override readonly name = 'ZooKeeperUnreachableError';
  constructor(
    readonly connectString: string,
    readonly timeoutMs: number,
  ) {
    super(
      `cannot reach ZooKeeper at ${connectString} within ${timeoutMs} ms: is the ensemble ` +
        'running (npm run lab), and is the connect string right?',
    );
  }
}

/** The producer's session, as the app identity; a bounded wait, so a dead ensemble fails fast. */
export async function connectProducer(
  settings: ConnectionSettings,
  credentials: Credentials,
  connectTimeoutMs: number,
): Promise<ZkClient> {
  try {
    // A producer never creates a namespace: a mistyped --root is an error, not a new one.
    return await connectToNamespace(settings, credentials, {
      connectTimeoutMs,
      createNamespace: false,
    });
  } catch (error) {
    if (error instanceof ConnectionLossError) {
      throw new ZooKeeperUnreachableError(settings.connectString, connectTimeoutMs);
    }
    throw error;
  }
}

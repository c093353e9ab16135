/**
 * A client of the shared ensemble's first server through a fault-proxy link of its own,
 * so a test can drop or hold its replies, or cut its connection.
 */
import type { FaultProxy } from '@zk-lab/deploy';
import { sharedConnectString } from '@zk-lab/test';
import { ZkClient } from '../client';

export async function connectViaProxy(
  proxy: FaultProxy,
  link: string,
  sessionTimeoutMs: number,
): Promise<ZkClient> {
  const server = sharedConnectString().split(',')[0]!;
  const { listenPort } = await proxy.addLink(link, { targetPort: Number(server.split(':')[1]) });
  return ZkClient.connect({ connectString: `127.0.0.1:${listenPort}`, sessionTimeoutMs });
}

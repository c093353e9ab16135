// How the lessons' example programs find ZooKeeper: the same way the lab's apps do.
// resolveConnection() takes ZK_CONNECT when it is set, else the ensemble of the lab that
// is running (its state folder: $ZK_LAB_STATE, default ./.lab), and gives the connect
// string and the session timeout (ZK_SESSION_TIMEOUT_MS, default 4000 ms).
import { resolveConnection } from '@zk-lab/lab-core';
import { ZkClient } from '@zk-lab/zk-client';

export async function connect() {
  const { connectString, sessionTimeoutMs } = resolveConnection({});
  return ZkClient.connect({ connectString, sessionTimeoutMs });
}

/** Milliseconds → "1.2 s", for the examples' messages. */
export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

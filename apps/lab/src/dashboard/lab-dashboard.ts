/**
 * `lab up`'s dashboard: the same server as `lab dashboard`, in lab mode (the chaos buttons,
 * version-checked edits, a token printed at start), on the lab's ensemble and root. Its
 * session is the admin identity's (the one that lays out the namespace), connected to the
 * servers directly, not through the fault proxy: a partition the page makes does not cut the
 * page off.
 */
import type { Ensemble, FaultProxyControl } from '@zk-lab/deploy';
import { loadCredentials } from '@zk-lab/lab-core';
import { LAN_RECONNECT_BACKOFF, ZkClient } from '@zk-lab/zk-client';
import type { AppFleet } from '../app-fleet';
import type { AppPlan } from '../app-plan';
import { startDashboardServer } from './dashboard-server';
import { labFeed } from './feed-construction';

export interface LabDashboardFlags {
  /** Default 8089; when it is taken, any free port (and a line says so). */
  port: number;
  host: string;
}

export interface LabDashboard {
  /** `http://127.0.0.1:PORT/#token=TOKEN`: the page reads its token from the hash. */
  readonly url: string;
  /** Stops the server, then the feed, then closes its session. */
  stop(): Promise<void>;
}

export async function serveLabDashboard(
  lab: {
    labState: string;
    ensemble: Ensemble;
    proxy: FaultProxyControl;
    fleet: AppFleet | null;
    plan: AppPlan | null;
  },
  flags: LabDashboardFlags,
  log: (line: string) => void,
): Promise<LabDashboard> {
  const connectString = lab.ensemble.connectString();
  // With no apps there is no namespace: the tree shows the whole ensemble.
  const root = lab.plan?.root ?? '/';
  const client = await ZkClient.connect({
    connectString,
    auth: [loadCredentials('admin').authInfo()],
    sessionTimeoutMs: 10_000,
    reconnectBackoff: LAN_RECONNECT_BACKOFF,
  });
  const feed = labFeed({ ...lab, client, log });
  try {
    const server = await startDashboardServer({
      mode: 'lab',
      client,
      root,
      connectString,
      feed,
      host: flags.host,
      port: flags.port,
      anyPortIfTaken: true,
      token: null,
      log,
    });
    return {
      url: `${server.url}#token=${server.token ?? ''}`,
      stop: async () => {
        await server.stop();
        await feed.stop();
        await client.close();
      },
    };
  } catch (error) {
    await feed.stop();
    await client.close();
    throw error;
  }
}

/**
 * What the chaos runner watches between actions: the servers (four-letter words), the apps
 * (their /status), and whether ZooKeeper takes a write and the system finishes jobs, as
 * seen by the runner's own client on the servers' own ports (never through the proxy).
 */
import type { Ensemble } from '@zk-lab/deploy';
import { PATHS } from '@zk-lab/lab-core';
import { CreateMode, NodeExistsError, type ZkClient } from '@zk-lab/zk-client';
import type { AppRecord } from '../app-state';
import { reportApp, type AppReport, type MasterStatusBody } from '../app-status';
import { withTimeout } from '../system-counts';

export interface LabView {
  /** Server ids by what they do: leader, follower, or not serving (down, paused, no quorum). */
  zkLeader: number | null;
  zkServing: number;
  zkSize: number;
  apps: AppReport[];
  leaderMaster: { name: string; epoch: number | null } | null;
  /** Masters that say they lead (more than one is a split brain, for a moment at most). */
  leadingMasters: string[];
  unregisteredWorkers: string[];
  /** Apps not up (down, paused, unresponsive). */
  appsNotUp: string[];
}

export async function viewLab(ensemble: Ensemble, apps: readonly AppRecord[]): Promise<LabView> {
  const [servers, reports] = await Promise.all([
    ensemble.status(),
    Promise.all(apps.map((app) => reportApp(app))),
  ]);
  const serving = servers.filter((s) => s.state === 'up' && s.report !== null);
  // A one-server lab has no leader but a standalone server, which leads as much as one can.
  const zkLeader =
    serving.find(
      (s) => s.state === 'up' && (s.report?.mode === 'leader' || s.report?.mode === 'standalone'),
    )?.id ?? null;
  const leading = reports.filter(
    (r) => r.kind === 'master' && r.status !== null && r.status.state === 'leader',
  );
  const first = leading[0];
  return {
    zkLeader,
    zkServing: serving.length,
    zkSize: ensemble.size,
    apps: reports,
    leaderMaster:
      first === undefined
        ? null
        : { name: first.name, epoch: (first.status as unknown as MasterStatusBody).epoch },
    leadingMasters: leading.map((r) => r.name),
    unregisteredWorkers: reports
      .filter((r) => r.kind === 'worker' && r.status?.registered !== true)
      .map((r) => r.name),
    appsNotUp: reports.filter((r) => r.state !== 'up').map((r) => r.name),
  };
}

/** Why the lab is not whole yet, or null when it is: every server serves, one master leads, every worker is registered. */
export function notWhole(view: LabView): string | null {
  if (view.zkServing < view.zkSize) return `${view.zkServing} of ${view.zkSize} servers serve`;
  if (view.zkLeader === null) return 'no ZooKeeper leader';
  if (view.appsNotUp.length > 0) return `not up: ${view.appsNotUp.join(', ')}`;
  if (view.leadingMasters.length !== 1)
    return view.leadingMasters.length === 0
      ? 'no master leads'
      : `masters leading: ${view.leadingMasters.join(', ')}`;
  if (view.unregisteredWorkers.length > 0)
    return `not registered: ${view.unregisteredWorkers.join(', ')}`;
  return null;
}

/** The runner's probe: a write ZooKeeper must accept, and the count of finished jobs. */
export class Probe {
  private readonly path: string;

  constructor(
    private readonly client: ZkClient,
    private readonly root: string,
    seed: number,
  ) {
    this.path = `/zk-lab-chaos-probe-${seed}`;
  }

  /** Does ZooKeeper accept a write now? (within `ms`) */
  async writeAccepted(ms = 1_000): Promise<boolean> {
    try {
      await withTimeout(this.write(), ms);
      return true;
    } catch {
      return false;
    }
  }

  private async write(): Promise<void> {
    try {
      await this.client.create(this.path, Buffer.from('probe'), { mode: CreateMode.PERSISTENT });
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
      await this.client.setData(this.path, Buffer.from(String(Date.now())));
    }
  }

  /** Results plus dead records, from the parents' stats; null when ZooKeeper does not answer. */
  async settled(ms = 1_000): Promise<number | null> {
    try {
      const [results, dead] = await withTimeout(
        Promise.all([
          this.client.exists(`${this.root}${PATHS.results}`),
          this.client.exists(`${this.root}${PATHS.dead}`),
        ]),
        ms,
      );
      return (results?.numChildren ?? 0) + (dead?.numChildren ?? 0);
    } catch {
      return null;
    }
  }

  async remove(): Promise<void> {
    await this.client.delete(this.path).catch(() => undefined);
  }
}

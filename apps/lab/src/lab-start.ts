/**
 * Brings up a lab in this process: the ensemble with its fault proxy, one link per app and
 * server, and the apps (unless the plan is null). Shared by `lab up` and `lab chaos`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { Ensemble, type FaultProxyControl } from '@zk-lab/deploy';
import { connectToNamespace, loadCredentials, resolveConnection } from '@zk-lab/lab-core';
import { AppFleet, type FleetEvent } from './app-fleet';
import { appNames, checkAppsBuilt, recordsDir, type AppPlan } from './app-plan';
import { linkApp, proxyOf } from './lab-links';
import { ensembleDir, type EnsembleFlagValues } from './zk-commands';

export interface StartedLab {
  ensemble: Ensemble;
  proxy: FaultProxyControl;
  /** Null when the plan was null (the ensemble alone). */
  fleet: AppFleet | null;
}

export async function startLab(
  labState: string,
  flags: EnsembleFlagValues,
  plan: AppPlan | null,
  emit: (event: FleetEvent) => void,
  log: (line: string) => void,
  /** Runs once the ensemble serves, before any app starts (lab up prints its table). */
  beforeApps: (ensemble: Ensemble) => Promise<void> = () => Promise.resolve(),
): Promise<StartedLab> {
  if (plan !== null) checkAppsBuilt(plan);
  const ensemble = await Ensemble.start({
    stateDir: ensembleDir(labState),
    size: flags.size,
    tickTimeMs: flags.tick,
    heapMb: flags.heap,
    faultProxy: true,
    // A Ctrl+C reaches this process alone: it stops the apps while the servers still serve.
    ownProcessGroup: true,
    log,
  });
  const proxy = proxyOf(ensemble);
  try {
    await beforeApps(ensemble);
    if (plan === null) return { ensemble, proxy, fleet: null };
    // A new ensemble starts with no jobs: the records of an earlier lab would only mislead.
    rmSync(recordsDir(labState), { recursive: true, force: true });
    mkdirSync(recordsDir(labState), { recursive: true });
    await createNamespace(ensemble.connectString(), plan.root);
    const connect = new Map<string, string>();
    for (const name of appNames(plan)) connect.set(name, await linkApp(proxy, ensemble, name));
    const fleet = await AppFleet.start(
      labState,
      plan,
      ensemble.connectString(),
      (name) => connect.get(name) ?? ensemble.connectString(),
      emit,
    );
    return { ensemble, proxy, fleet };
  } catch (err) {
    await ensemble.stop();
    throw err;
  }
}

/**
 * The lab lays out its namespace as an operator would (admin identity, world READ as the
 * lab's apps have it) before any app starts: the producer never creates one, so that a
 * mistyped --root fails instead of feeding a queue nothing serves.
 */
async function createNamespace(connectString: string, root: string): Promise<void> {
  process.env.ZK_WORLD_READ = '1';
  const client = await connectToNamespace(
    resolveConnection({ connect: connectString, root }),
    loadCredentials('admin'),
    { createNamespace: true },
  );
  await client.close();
}

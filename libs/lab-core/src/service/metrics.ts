/**
 * The Prometheus metrics every service has (DESIGN section 6): session state, config
 * version and reloads by outcome. Each app adds its own to the same registry.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ZkClient, ZkClientState } from '@zk-lab/zk-client';
import type { ConfigWatcher } from '../config-watcher';

const SESSION_STATES: readonly ZkClientState[] = [
  'CONNECTING',
  'CONNECTED',
  'SUSPENDED',
  'LOST',
  'CLOSED',
];

export interface ServiceMetrics {
  registry: Registry;
  sessionState: Gauge;
  configVersion: Gauge;
  configReloads: Counter<'outcome'>;
}

export function createServiceMetrics(app: 'master' | 'worker', id: string): ServiceMetrics {
  const registry = new Registry();
  // Not `instance`: Prometheus sets that target label itself (review O2).
  registry.setDefaultLabels({ app, [app === 'master' ? 'master_id' : 'worker_id']: id });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    sessionState: new Gauge({
      name: 'zklab_session_state',
      help: 'ZooKeeper session state: 1 for the current state, 0 for the others',
      labelNames: ['state'],
      registers: [registry],
    }),
    configVersion: new Gauge({
      name: 'zklab_config_version',
      help: 'Znode version of the config in force (-1: the defaults)',
      registers: [registry],
    }),
    configReloads: new Counter({
      name: 'zklab_config_reloads_total',
      help: 'Config versions read, by outcome (applied, rejected)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

/** Keeps `zklab_session_state` and the config metrics current. */
export function trackServiceMetrics(
  metrics: ServiceMetrics,
  client: ZkClient,
  config: ConfigWatcher,
): void {
  const setState = (): void => {
    for (const state of SESSION_STATES) {
      metrics.sessionState.set({ state }, state === client.state ? 1 : 0);
    }
  };
  setState();
  client.on('state', setState);
  const setVersion = (): void => metrics.configVersion.set(config.status().version ?? -1);
  setVersion();
  config.on('applied', () => {
    metrics.configReloads.inc({ outcome: 'applied' });
    setVersion();
  });
  config.on('rejected', () => metrics.configReloads.inc({ outcome: 'rejected' }));
}

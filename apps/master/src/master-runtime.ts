/**
 * Everything a master runs, framework-free: the session, the live config, the election and
 * the metrics. The Nest modules only expose it over HTTP.
 */
import type { ZkClient } from '@zk-lab/zk-client';
import {
  ConfigWatcher,
  defaultIdentityWarning,
  connectToNamespace,
  type ConnectionSettings,
  type Credentials,
  logConfigChanges,
  logSessionStates,
  namespaceAcls,
  sessionIdHex,
  trackServiceMetrics,
} from '@zk-lab/lab-core';
import type { Logger } from 'pino';
import { MasterElection, type SchedulerHealth } from './election/master-election';
import { createMasterMetrics, type MasterMetrics } from './master-metrics';
import type { MasterStatus } from './master-status';

export interface MasterRuntimeOptions {
  id: string;
  connection: ConnectionSettings;
  credentials: Credentials;
  log: Logger;
}

export class MasterRuntime {
  readonly metrics: MasterMetrics;
  private client: ZkClient | null = null;
  private config: ConfigWatcher | null = null;
  private election: MasterElection | null = null;

  constructor(private readonly options: MasterRuntimeOptions) {
    this.metrics = createMasterMetrics(options.id);
  }

  get sessionId(): string | undefined {
    return this.client === null ? undefined : sessionIdHex(this.client);
  }

  async start(): Promise<void> {
    const { connection, credentials, log, id } = this.options;
    if (credentials.isDefault) {
      log.warn({}, defaultIdentityWarning('master'));
    }
    const client = await connectToNamespace(connection, credentials);
    this.client = client;
    logSessionStates(client, log);
    log.info(
      { connect: connection.connectString, root: connection.root, source: connection.source },
      `connected to ZooKeeper (session ${sessionIdHex(client)})`,
    );
    const config = new ConfigWatcher(client);
    this.config = config;
    logConfigChanges(config, log, (level) => (log.level = level));
    await config.start();
    log.level = config.config.logLevel;
    trackServiceMetrics(this.metrics, client, config);
    this.election = new MasterElection({
      id,
      client,
      config: () => config.config,
      acl: namespaceAcls().masters,
      metrics: this.metrics,
      log,
    });
    await this.election.start();
  }

  /** Leaves the election and closes the session at once. */
  async close(): Promise<void> {
    await this.election?.close().catch(() => undefined);
    await this.config?.close().catch(() => undefined);
    await this.client?.close();
  }

  /**
   * Why the master is not healthy, or null: its client closed, or it leads without
   * scheduling (no running term, or no round completed for STALLED_AFTER_ROUNDS intervals).
   */
  healthProblem(): string | null {
    if (this.client === null || this.client.state === 'CLOSED') return 'ZooKeeper client closed';
    return this.election?.health().problem ?? null;
  }

  /** The scheduler's view for the probes' bodies. */
  schedulerHealth(): SchedulerHealth | null {
    return this.election?.health() ?? null;
  }

  isReady(): boolean {
    return (
      this.client?.state === 'CONNECTED' && this.election !== null && this.healthProblem() === null
    );
  }

  async status(): Promise<MasterStatus> {
    const client = this.client;
    const election = this.election;
    const term = election?.termView() ?? null;
    let queueDepth: number | null = null;
    if (client?.state === 'CONNECTED') {
      queueDepth = (await client.exists('/queue').catch(() => null))?.numChildren ?? null;
    }
    const config = this.config?.status();
    return {
      role: 'master',
      id: this.options.id,
      state: election?.role ?? 'starting',
      leaderId: election?.leaderId ?? null,
      session: { id: this.sessionId ?? null, state: client?.state ?? 'CONNECTING' },
      epoch: term?.epoch ?? null,
      queueDepth,
      workers: election?.role === 'leader' ? (term?.workers ?? []) : null,
      totals: term?.totals ?? null,
      scheduler: election?.health() ?? null,
      config: config
        ? {
            version: config.version,
            values: config.config,
            rejected: config.rejected,
            source: config.source,
          }
        : null,
    };
  }
}

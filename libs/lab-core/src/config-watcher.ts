/**
 * ConfigWatcher: the config every master and worker runs with, kept current from `/config`
 * through a NodeCache (a watch re-armed before each read, so the latest state is always
 * read; a version overwritten before it was read is not seen, as ZooKeeper's watches promise).
 *
 * - A valid new version is applied: `applied` with the diff.
 * - Data that does not parse (written behind the updater's back) is rejected: the last good
 *   config stays in force and `rejected` says why; `status().rejected` keeps it until a
 *   good version arrives.
 * - A deleted `/config` keeps the last good config (`deleted`); a re-created one is read
 *   like any other version.
 * - At start, a `/config` that is missing or invalid: the newest good `/config-history`
 *   entry is taken instead (`recovered`), the config every older process keeps in force; the
 *   defaults only when there is none (apps.md F14: no divergence after a restart).
 * - SUSPENDED keeps the current config; after RECONNECTED or a new session the node is read
 *   again and any change made meanwhile is applied once.
 */
import { EventEmitter } from 'node:events';
import type { ZkClient } from '@zk-lab/zk-client';
import { NodeCache, type ChildData } from '@zk-lab/zk-recipes';
import {
  DEFAULT_CONFIG,
  diffConfig,
  InvalidConfigError,
  parseConfig,
  type ConfigDiff,
  type LabConfig,
} from './config';
import { lastGoodConfig } from './config-history';
import { PATHS } from './namespace';

export interface ConfigStatus {
  config: LabConfig;
  /** The znode version in force; null while running on the defaults. */
  version: number | null;
  /** Where the config in force came from: `/config`, its history (at start), or nowhere. */
  source: 'node' | 'history' | 'defaults';
  /** The last version refused, while no good version has replaced it. */
  rejected: { version: number; error: string } | null;
  reloads: { applied: number; rejected: number };
}

export interface ConfigWatcherEvents {
  applied: [config: LabConfig, diff: ConfigDiff, version: number];
  /** At start: `/config` was missing or invalid, and this history entry is in force. */
  recovered: [config: LabConfig, version: number, historyName: string];
  rejected: [error: InvalidConfigError, version: number];
  deleted: [kept: LabConfig];
  error: [error: Error];
}

export class ConfigWatcher extends EventEmitter<ConfigWatcherEvents> {
  private readonly cache: NodeCache;
  private current: ConfigStatus = {
    config: DEFAULT_CONFIG,
    version: null,
    source: 'defaults',
    rejected: null,
    reloads: { applied: 0, rejected: 0 },
  };

  constructor(
    private readonly client: ZkClient,
    path: string = PATHS.config,
  ) {
    super();
    this.cache = new NodeCache(client, path);
    this.cache.on('added', (node) => this.onData(node));
    this.cache.on('updated', (node) => this.onData(node));
    this.cache.on('removed', () => this.emit('deleted', this.current.config));
    this.cache.on('error', (error) => this.emit('error', error));
  }

  /**
   * Resolves once `/config` was read (or found absent) and applied, or, when it holds no
   * good version, once the last good one was taken from the history.
   */
  async start(): Promise<void> {
    await this.cache.start();
    if (this.current.version !== null) return;
    const last = await lastGoodConfig(this.client);
    // A good /config may have been applied while the history was read: it wins.
    if (last === null || this.current.version !== null) return;
    this.current = {
      ...this.current,
      config: last.entry.config,
      version: last.entry.version,
      source: 'history',
    };
    this.emit('recovered', last.entry.config, last.entry.version, last.name);
  }

  async close(): Promise<void> {
    await this.cache.close();
  }

  get config(): LabConfig {
    return this.current.config;
  }

  status(): ConfigStatus {
    return { ...this.current, reloads: { ...this.current.reloads } };
  }

  private onData(node: ChildData): void {
    const version = node.stat.version;
    let next: LabConfig;
    try {
      next = parseConfig(node.data);
    } catch (error) {
      if (!(error instanceof InvalidConfigError)) throw error;
      this.current.rejected = { version, error: error.detail };
      this.current.reloads.rejected++;
      this.emit('rejected', error, version);
      return;
    }
    const diff = diffConfig(this.current.config, next);
    this.current = {
      config: next,
      version,
      source: 'node',
      rejected: null,
      reloads: { ...this.current.reloads, applied: this.current.reloads.applied + 1 },
    };
    this.emit('applied', next, diff, version);
  }
}

/**
 * ServiceDiscovery: the live list of a service's instances, read from the nodes
 * ServiceRegistry writes under `<basePath>/<name>`, built on ChildrenCache.
 *
 * Events: `added`, `updated` (the instance's data was written again) and `removed` (its
 * node went: unregistered, closed, or its session ended), with the instance;
 * `initialized` once the first listing is in. A node whose data is not an instance is left
 * out of the list and reported as an InvalidServiceInstanceError (`error` event, or a
 * process warning when nobody listens).
 *
 * Connection loss (ChildrenCache's): while SUSPENDED the list is the last one known and may
 * be stale; after RECONNECTED, and after LOST on the client's new session, the list is read
 * again and what changed meanwhile is reported as added, updated and removed. A registered
 * process that dies leaves the list when its session expires (its session timeout after
 * its last heartbeat).
 */
import { EventEmitter } from 'node:events';
import { validatePath, type ZkClient } from '@zk-lab/zk-client';
import { ChildrenCache } from '../cache/children-cache';
import type { ChildData } from '../cache/events';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import {
  checkSegment,
  decodeInstance,
  InvalidServiceInstanceError,
  type ServiceInstance,
} from './service-instance';

export interface ServiceDiscoveryOptions {
  /** The folder of all services, as given to ServiceRegistry. */
  basePath: string;
  /** The service whose instances to list. */
  name: string;
}

export interface ServiceDiscoveryEvents {
  initialized: [];
  added: [instance: ServiceInstance];
  updated: [instance: ServiceInstance, previous: ServiceInstance];
  removed: [instance: ServiceInstance];
  error: [error: Error];
}

export class ServiceDiscovery extends EventEmitter<ServiceDiscoveryEvents> {
  private readonly lifecycle = new Lifecycle('ServiceDiscovery');
  private readonly cache: ChildrenCache;
  /** The valid instances, by znode path. */
  private readonly known = new Map<string, ServiceInstance>();

  constructor(client: ZkClient, options: ServiceDiscoveryOptions) {
    super();
    validatePath(options.basePath, { op: 'ServiceDiscovery' });
    checkSegment('service name', options.name);
    const base = options.basePath === '/' ? '' : options.basePath;
    this.cache = new ChildrenCache(client, `${base}/${options.name}`);
    this.cache.on('added', (node) => this.onNode(node));
    this.cache.on('updated', (node) => this.onNode(node));
    this.cache.on('removed', (node) => this.onRemoved(node));
    this.cache.on('initialized', () => safeEmit(this, 'ServiceDiscovery', 'initialized'));
    this.cache.on('error', (error) => this.fail(error));
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** Starts listing; resolves once the first listing is in (or at close()). */
  async start(): Promise<void> {
    this.lifecycle.start();
    await this.cache.start();
  }

  /** The instances known now, sorted by id. */
  instances(): ServiceInstance[] {
    return [...this.known.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): ServiceInstance | undefined {
    return [...this.known.values()].find((instance) => instance.id === id);
  }

  /** Stops for good; idempotent. */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    await this.cache.close();
  }

  private onNode(node: ChildData): void {
    const previous = this.known.get(node.path);
    let instance: ServiceInstance;
    try {
      instance = decodeInstance(node.path, node.data);
    } catch (error) {
      if (previous !== undefined) this.onRemoved(node);
      this.fail(error);
      return;
    }
    this.known.set(node.path, instance);
    if (previous === undefined) safeEmit(this, 'ServiceDiscovery', 'added', instance);
    else safeEmit(this, 'ServiceDiscovery', 'updated', instance, previous);
  }

  private onRemoved(node: ChildData): void {
    const instance = this.known.get(node.path);
    if (instance === undefined) return;
    this.known.delete(node.path);
    safeEmit(this, 'ServiceDiscovery', 'removed', instance);
  }

  private fail(error: unknown): void {
    const reported =
      error instanceof Error ? error : new InvalidServiceInstanceError('?', String(error));
    if (this.listenerCount('error') > 0) safeEmit(this, 'ServiceDiscovery', 'error', reported);
    else process.emitWarning(reported);
  }
}

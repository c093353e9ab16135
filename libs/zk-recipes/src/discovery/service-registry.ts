/**
 * ServiceRegistry: registers service instances as ephemeral znodes
 * `<basePath>/<name>/<id>` holding the instance as JSON, as Curator's ServiceDiscovery
 * does with registerService. A registration lives as long as the session that wrote it;
 * the registry writes it again whenever the connection comes back.
 *
 * Connection loss:
 * - SUSPENDED: nothing to do. The nodes live on the server while the session does; others
 *   keep seeing the instances.
 * - RECONNECTED (same session): each registration is checked and written again if it is
 *   missing (a create whose reply was lost may or may not have been applied).
 * - LOST: the session's ephemeral nodes go, so others see the instances leave. On the
 *   client's new session every registration is written again, with the same id: others
 *   see the instances come back. A node still held by the expired session (the server may
 *   not have dropped it yet) is deleted and written again, as Curator does.
 *
 * A registration is known by its service's name and its id together (ids are unique
 * within a service only): `api/host-1` and `metrics/host-1` are two registrations.
 *
 * Writes run one after another. `register()` and `unregister()` resolve once the server
 * has the change; when they reject with ConnectionLossError or SessionExpiredError the
 * registry still wants the instance (or not) and writes it when the connection is back.
 * An unregistration is guaranteed, as Curator's: a delete whose answer was lost with the
 * connection is tried again, and one that still failed is done again on the next
 * RECONNECTED or CONNECTED, until the node is gone.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  BadVersionError,
  ClientClosedError,
  ConnectionLossError,
  CreateMode,
  NodeExistsError,
  NoNodeError,
  SessionExpiredError,
  validatePath,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import {
  checkSegment,
  encodeInstance,
  type ServiceInstance,
  type ServiceInstanceSpec,
} from './service-instance';

export interface ServiceRegistryOptions {
  /** The folder of all services, e.g. `/zk-lab/services`. */
  basePath: string;
}

export interface ServiceRegistryEvents {
  /** An instance's node was created (first registration, or again after a new session). */
  registered: [instance: ServiceInstance];
  /** A re-registration failed for a reason other than the connection. */
  error: [error: Error];
}

/** Writing a registration kept meeting a node of another session. */
export class RegistrationConflictError extends Error {
  override readonly name = 'RegistrationConflictError';
}

const WRITE_ATTEMPTS = 5;
/** Tries of an unregistration before it waits for the next connection event. */
const ERASE_ATTEMPTS = 5;

/** What names a registration: its service and its id (ids are unique within a service). */
export type RegistrationKey = Pick<ServiceInstance, 'name' | 'id'>;

function keyOf(instance: RegistrationKey): string {
  return `${instance.name}/${instance.id}`;
}

export class ServiceRegistry extends EventEmitter<ServiceRegistryEvents> {
  private readonly lifecycle = new Lifecycle('ServiceRegistry');
  private readonly basePath: string;
  /** The instances this registry keeps registered, by `name/id`. */
  private readonly wanted = new Map<string, ServiceInstance>();
  /** Unregistered instances whose node may still be there, by `name/id`. */
  private readonly unwanted = new Map<string, ServiceInstance>();
  /** The session each registration's node was last written in, by `name/id`. */
  private readonly writtenIn = new Map<string, bigint>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ZkClient,
    options: ServiceRegistryOptions,
  ) {
    super();
    validatePath(options.basePath, { op: 'ServiceRegistry' });
    this.basePath = options.basePath;
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /**
   * Starts following the connection, to register again after it comes back. Async, as every recipe's start(); it resolves at once.
   * Rejects with RecipeStateError when started before or closed.
   */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.lifecycle.start();
      this.client.on('state', this.onClientState);
      resolve();
    });
  }

  /**
   * Registers an instance (the id defaults to a random UUID) and resolves once its node is
   * written. Registering a name and id again replaces that instance's data.
   */
  async register(spec: ServiceInstanceSpec): Promise<ServiceInstance> {
    this.lifecycle.assertStarted();
    const instance: ServiceInstance = {
      name: spec.name,
      id: spec.id ?? randomUUID(),
      address: spec.address,
      port: spec.port,
      metadata: { ...(spec.metadata ?? {}) },
      registeredAt: Date.now(),
    };
    checkSegment('service name', instance.name);
    checkSegment('instance id', instance.id);
    const key = keyOf(instance);
    this.wanted.set(key, instance);
    this.unwanted.delete(key);
    await this.serially(() => this.write(instance));
    return instance;
  }

  /**
   * Removes a registration (the instance `register()` returned, or its name and id): its
   * node goes, if a session of this registry holds it. Unknown ones are ignored. When this
   * rejects with connection trouble, the node is deleted once the connection is back.
   */
  async unregister(instance: RegistrationKey): Promise<void> {
    this.lifecycle.assertStarted();
    const key = keyOf(instance);
    const registered = this.wanted.get(key);
    if (registered === undefined) return;
    this.wanted.delete(key);
    this.unwanted.set(key, registered);
    await this.serially(() => this.erase(registered));
  }

  /** The instances this registry keeps registered. */
  instances(): ServiceInstance[] {
    return [...this.wanted.values()];
  }

  /** Unregisters every instance and stops. Idempotent; connection trouble is not an error here. */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.client.off('state', this.onClientState);
    const all = [...this.wanted.values(), ...this.unwanted.values()];
    this.wanted.clear();
    for (const instance of all) this.unwanted.set(keyOf(instance), instance);
    await this.serially(async () => {
      for (const instance of all) {
        try {
          await this.erase(instance);
        } catch (error) {
          // The session's end removes the nodes anyway.
          if (!isConnectionTrouble(error)) throw error;
        }
      }
    });
  }

  private pathOf(instance: ServiceInstance): string {
    return `${this.parentOf(instance)}/${instance.id}`;
  }

  private parentOf(instance: ServiceInstance): string {
    return `${this.basePath === '/' ? '' : this.basePath}/${instance.name}`;
  }

  private readonly onClientState = (event: ZkStateEvent): void => {
    if (event !== 'CONNECTED' && event !== 'RECONNECTED') return;
    for (const instance of this.unwanted.values()) {
      this.serially(() => this.erase(instance)).catch((error: unknown) => this.fail(error));
    }
    for (const instance of this.wanted.values()) {
      this.serially(() => this.write(instance)).catch((error: unknown) => this.fail(error));
    }
  };

  /** Runs `task` after every task queued before it. */
  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Makes the instance's node exist, held by this session, with the instance's data. */
  private async write(instance: ServiceInstance): Promise<void> {
    // Superseded (registered again) or unregistered meanwhile.
    const key = keyOf(instance);
    if (this.wanted.get(key) !== instance) return;
    const path = this.pathOf(instance);
    const data = encodeInstance(instance);
    await this.client.ensurePath(this.parentOf(instance));
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const stat = await this.client.exists(path);
      if (stat === null) {
        try {
          await this.client.create(path, data, { mode: CreateMode.EPHEMERAL });
          this.writtenIn.set(key, this.client.sessionId);
          safeEmit(this, 'ServiceRegistry', 'registered', instance);
          return;
        } catch (error) {
          if (!(error instanceof NodeExistsError)) throw error;
          continue;
        }
      }
      if (stat.ephemeralOwner === this.client.sessionId) {
        // Ours already (a reconnect, or a create whose reply was lost): keep it current.
        this.writtenIn.set(key, stat.ephemeralOwner);
        const current = await this.client.getData(path);
        if (!current.data.equals(data)) await this.client.setData(path, data, current.stat.version);
        return;
      }
      // Held by an expired session of ours that the server has not dropped yet, or by
      // someone else under this id: replace it, so watchers see it leave and come back.
      try {
        await this.client.delete(path, stat.version);
      } catch (error) {
        if (!(error instanceof NoNodeError) && !(error instanceof BadVersionError)) throw error;
      }
    }
    throw new RegistrationConflictError(
      `${path}: still held by another session after ${WRITE_ATTEMPTS} attempts`,
    );
  }

  /**
   * Deletes the instance's node if a session of this registry holds it (this one, or the
   * one that wrote it, which the server may not have expired yet), as a guaranteed delete:
   * a connection loss means "maybe not applied", so it looks and deletes again. Done once
   * the node is gone or someone else's; until then the instance stays in `unwanted`.
   */
  private async erase(instance: ServiceInstance): Promise<void> {
    const key = keyOf(instance);
    if (this.unwanted.get(key) !== instance) return; // registered again, or erased already
    const path = this.pathOf(instance);
    for (let attempt = 1; ; attempt++) {
      try {
        const stat = await this.client.exists(path);
        if (stat !== null && this.heldByUs(key, stat.ephemeralOwner)) {
          await this.client.delete(path, stat.version);
        }
        break;
      } catch (error) {
        if (error instanceof NoNodeError) break;
        // BadVersion: rewritten meanwhile (our own create, retried); look again.
        const again = error instanceof BadVersionError || isConnectionTrouble(error);
        if (!again || error instanceof ClientClosedError || attempt >= ERASE_ATTEMPTS) throw error;
      }
    }
    if (this.unwanted.get(key) === instance) {
      this.unwanted.delete(key);
      this.writtenIn.delete(key);
    }
  }

  private heldByUs(key: string, owner: bigint): boolean {
    return owner === this.client.sessionId || owner === this.writtenIn.get(key);
  }

  private fail(error: unknown): void {
    // Connection trouble: the next RECONNECTED or CONNECTED writes it again.
    if (isConnectionTrouble(error)) return;
    const reported = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') > 0) safeEmit(this, 'ServiceRegistry', 'error', reported);
    else process.emitWarning(reported);
  }
}

function isConnectionTrouble(error: unknown): boolean {
  return (
    error instanceof ConnectionLossError ||
    error instanceof SessionExpiredError ||
    error instanceof ClientClosedError
  );
}

/**
 * WorkerRegistration: `/workers/<id>`, an ephemeral node holding this worker's WorkerInfo,
 * which tells the leader the worker is alive and how many jobs it takes.
 *
 * - It registers in the current session, and again in each new session: after LOST the
 *   node is gone (or about to go) and the client makes a new session ('CONNECTED').
 * - A node of the same id held by an earlier session that has not expired yet (this
 *   worker's own previous session, or a previous process started with the same --id) is
 *   waited for: an exists watch, with a periodic check as a backstop, then the create. It
 *   never gives up.
 * - A create that failed with ConnectionLossError may have been applied: the next try
 *   finds the node, and a node owned by this session is this worker's registration.
 * - SUSPENDED: the node lives as long as the session, so it stays registered; whether
 *   the worker is ready is the caller's business (connected and registered).
 * - When the effective capacity changes, the node's data is rewritten (setData), so the
 *   leader assigns by the new capacity.
 * - An exists watch on its own node: when someone else deletes it (an operator, a stray
 *   script), the worker is unregistered at once and registers again in the same session.
 * - drain(): the node says `draining: true`, so the leader assigns it nothing more.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { encode, PROTOCOL_VERSION, type WorkerInfo, workerPath } from '@zk-lab/lab-core';
import {
  type ACL,
  ClientClosedError,
  ConnectionLossError,
  CreateMode,
  NodeExistsError,
  NoNodeError,
  SessionExpiredError,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import type { WorkerCapacity } from './worker-capacity';
import type { WorkerLog } from './worker-log';

/** What a worker says about itself, but its capacity (which may change). */
export type WorkerIdentity = Omit<WorkerInfo, 'capacity'>;

export interface WorkerRegistrationEvents {
  registered: [sessionId: bigint];
  unregistered: [];
}

/** How long a wait for an earlier session's node goes without a look of its own. */
const EARLIER_OWNER_RECHECK_MS = 1_000;
const RETRY_DELAY_MS = 200;

export class WorkerRegistration extends EventEmitter<WorkerRegistrationEvents> {
  private state: 'LATENT' | 'STARTED' | 'CLOSED' = 'LATENT';
  /** The session whose node is this worker's registration, if any. */
  private registeredSession: bigint | null = null;
  /** The capacity the node holds (null: not known). */
  private writtenCapacity: number | null = null;
  private capacityWrite: Promise<void> | null = null;
  private capacityWriteAgain = false;
  private draining = false;
  private readonly path: string;

  constructor(
    private readonly client: ZkClient,
    private readonly identity: WorkerIdentity,
    private readonly capacity: WorkerCapacity,
    private readonly acl: readonly ACL[],
    private readonly log: WorkerLog,
  ) {
    super();
    this.path = workerPath(identity.id);
  }

  /** Starts registering (in the background: `registered` says when it is done). */
  start(): void {
    if (this.state !== 'LATENT') throw new Error(`WorkerRegistration is ${this.state}`);
    this.state = 'STARTED';
    this.client.on('state', this.onState);
    this.capacity.on('changed', this.onCapacity);
    this.registerInSession();
  }

  /** Stops; the node goes with the session (the caller closes the client). */
  close(): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.client.off('state', this.onState);
    this.capacity.off('changed', this.onCapacity);
    this.unregister('registration stopped');
  }

  /** Whether `/workers/<id>` is this session's node. */
  get registered(): boolean {
    return this.registeredSession !== null && this.registeredSession === this.client.sessionId;
  }

  /** The session of the current registration (tasks bound to it are this worker's), or null. */
  get session(): bigint | null {
    return this.registered ? this.registeredSession : null;
  }

  info(): WorkerInfo {
    return {
      protocol: PROTOCOL_VERSION,
      ...this.identity,
      capacity: this.capacity.value,
      ...(this.draining ? { draining: true } : {}),
    };
  }

  /** Tells the leader to assign nothing more (the node stays until the session closes). */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.writtenCapacity = null; // the data changes: write it whatever the capacity
    await this.writeCapacity();
  }

  private readonly onState = (state: ZkStateEvent): void => {
    if (state === 'LOST') this.unregister('registration gone with the lost session');
    if (state === 'CLOSED') this.unregister('registration removed: session closed');
    if (state === 'CONNECTED') this.registerInSession();
  };

  private readonly onCapacity = (): void => {
    void this.writeCapacity();
  };

  private unregister(why: string): void {
    if (this.registeredSession === null) return;
    this.registeredSession = null;
    this.writtenCapacity = null;
    if (this.client.state === 'CLOSED') this.log.info({ path: this.path }, why);
    else this.log.warn({ path: this.path }, why);
    this.emit('unregistered');
  }

  private registerInSession(): void {
    const session = this.client.sessionId;
    if (session === 0n || this.state !== 'STARTED') return;
    this.register(session).catch((error: unknown) =>
      this.log.error({ err: error }, 'registration stopped by an unexpected error'),
    );
  }

  private async register(session: bigint): Promise<void> {
    let waitingLogged = false;
    while (this.state === 'STARTED' && this.client.sessionId === session) {
      const info = this.info();
      try {
        try {
          await this.client.create(this.path, encode(info), {
            mode: CreateMode.EPHEMERAL,
            acl: this.acl,
          });
          this.markRegistered(session, info.capacity);
          return;
        } catch (error) {
          if (!(error instanceof NodeExistsError)) throw error;
        }
        let wake: () => void = () => undefined;
        const changed = new Promise<void>((resolve) => (wake = resolve));
        const stat = await this.client.exists(this.path, { watch: () => wake() });
        if (stat === null) continue;
        if (stat.ephemeralOwner === session) {
          // An earlier try of ours was applied before its reply was lost; its data may
          // hold an older capacity.
          this.markRegistered(session, null);
          return;
        }
        if (!waitingLogged) {
          waitingLogged = true;
          this.log.warn(
            { path: this.path, owner: `0x${stat.ephemeralOwner.toString(16)}` },
            'an earlier session still holds this worker id; waiting for it to expire',
          );
        }
        await Promise.race([changed, sleep(EARLIER_OWNER_RECHECK_MS)]);
      } catch (error) {
        // The next session (if any) starts its own registration.
        if (error instanceof SessionExpiredError || error instanceof ClientClosedError) return;
        if (!(error instanceof ConnectionLossError)) {
          this.log.error({ err: error, path: this.path }, 'registration failed; trying again');
        }
        await sleep(RETRY_DELAY_MS);
      }
    }
  }

  private markRegistered(session: bigint, capacity: number | null): void {
    this.registeredSession = session;
    this.writtenCapacity = this.draining ? null : capacity;
    this.log.info({ path: this.path, capacity: this.capacity.value }, 'registered');
    this.emit('registered', session);
    if (this.writtenCapacity !== this.capacity.value) void this.writeCapacity();
    void this.watchOwnNode(session);
  }

  /**
   * Watches this session's node while it is the registration; when it is deleted by
   * someone else, unregisters and registers again (the session is the same).
   */
  private async watchOwnNode(session: bigint): Promise<void> {
    while (
      this.state === 'STARTED' &&
      this.registeredSession === session &&
      this.client.sessionId === session
    ) {
      let fired: () => void = () => undefined;
      const changed = new Promise<void>((resolve) => (fired = resolve));
      let stat;
      try {
        stat = await this.client.exists(this.path, { watch: () => fired() });
      } catch (error) {
        if (error instanceof SessionExpiredError || error instanceof ClientClosedError) return;
        if (!(error instanceof ConnectionLossError)) {
          this.log.error({ err: error, path: this.path }, 'could not watch the registration');
        }
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      if (this.registeredSession !== session || this.client.sessionId !== session) return;
      if (stat === null || stat.ephemeralOwner !== session) {
        this.unregister('registration deleted by another client; registering again');
        this.registerInSession();
        return;
      }
      // Fires on a data change (ours), the deletion, or the end of the session.
      await changed;
    }
  }

  /** Brings the node's capacity up to date; one write at a time, the newest value last. */
  private async writeCapacity(): Promise<void> {
    if (this.capacityWrite !== null) {
      this.capacityWriteAgain = true;
      return;
    }
    this.capacityWrite = this.writeCapacityLoop();
    try {
      await this.capacityWrite;
    } finally {
      this.capacityWrite = null;
    }
  }

  private async writeCapacityLoop(): Promise<void> {
    do {
      this.capacityWriteAgain = false;
      if (!this.registered || this.writtenCapacity === this.capacity.value) continue;
      const info = this.info();
      try {
        await this.client.setData(this.path, encode(info));
        this.writtenCapacity = info.capacity;
        this.log.info({ path: this.path, capacity: info.capacity }, 'registration updated');
      } catch (error) {
        if (error instanceof ConnectionLossError) {
          this.capacityWriteAgain = true;
          await sleep(RETRY_DELAY_MS);
        } else if (
          // The node went with its session: the next registration writes the capacity.
          !(error instanceof NoNodeError) &&
          !(error instanceof SessionExpiredError) &&
          !(error instanceof ClientClosedError)
        ) {
          this.log.error({ err: error, path: this.path }, 'could not update the registration');
        }
      }
    } while (this.capacityWriteAgain && this.state === 'STARTED');
  }
}

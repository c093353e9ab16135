/**
 * PersistentNode: a node the recipe keeps in place for as long as it is started, as
 * Curator's PersistentNode. Usually EPHEMERAL (a presence: "this process is here"), or
 * EPHEMERAL_SEQUENTIAL (always made with a protected create, so a lost reply never leaves
 * two), or PERSISTENT / PERSISTENT_SEQUENTIAL.
 *
 * Algorithm, one pass at a time ("keep"): read the node with a data watch (getData, so a
 * node already gone leaves no watch behind); if it is there and this session's (any
 * session's, for a persistent node), keep it, writing data set by setData() that it does
 * not hold yet; if it is missing, create it (its missing parents too) and read it again.
 * The watch, a new session and a reconnect each queue another pass; passes coalesce.
 *
 * A node found at the path that belongs to another session:
 * - an earlier session of this client (the ensemble may keep an expired session's
 *   ephemeral node for a while after the client has a new session): deleted at its
 *   version and created again, as the service registry does;
 * - any other session (another process, or another recipe on another client): left alone,
 *   reported once as a NodeConflictError ('error'); its deletion wakes the recipe, which
 *   creates the node then. Two recipes on one path thus take turns instead of deleting
 *   each other's node.
 *
 * Connection loss:
 * - SUSPENDED: nothing to do; the node lives on the server while the session does.
 * - RECONNECTED: a pass checks the node (a create whose reply was lost with the connection
 *   is found then, held by this session, and kept: never a second node).
 * - LOST: an ephemeral node goes with the session ('deleted' is emitted when the next pass
 *   finds it gone, or held by the expired session). On the client's new session it is
 *   created again, owned by that session ('created').
 *
 * A write by another client to the node's data is not undone; setData() is this recipe's
 * way to change it, and what every later re-creation writes.
 */
import { EventEmitter } from 'node:events';
import {
  BadVersionError,
  CreateMode,
  EventType,
  NodeExistsError,
  NoNodeError,
  validatePath,
  type ACL,
  type Stat,
  type WatchEvent,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { Lifecycle, RecipeStateError, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import { isConnectionFailure } from '../cache/cache-base';
import { NodeClosedError, NodeConflictError, UnsupportedNodeModeError } from './errors';

export interface PersistentNodeOptions {
  /** EPHEMERAL (the default), EPHEMERAL_SEQUENTIAL, PERSISTENT or PERSISTENT_SEQUENTIAL. */
  mode?: CreateMode;
  /** The node's ACL; open by default. */
  acl?: readonly ACL[];
}

export interface PersistentNodeEvents {
  /** The node is in place: created by this recipe (first, or again after a loss). */
  created: [path: string];
  /** The node this recipe held is gone (deleted by someone else, or with its session). */
  deleted: [path: string];
  /** A pass failed for a reason other than the connection, or a NodeConflictError. */
  error: [error: Error];
}

const KEPT_MODES: readonly CreateMode[] = [
  CreateMode.EPHEMERAL,
  CreateMode.EPHEMERAL_SEQUENTIAL,
  CreateMode.PERSISTENT,
  CreateMode.PERSISTENT_SEQUENTIAL,
];

export class PersistentNode extends EventEmitter<PersistentNodeEvents> {
  private readonly lifecycle = new Lifecycle('PersistentNode');
  private readonly mode: CreateMode;
  private readonly acl: readonly ACL[] | undefined;
  private readonly ephemeral: boolean;
  private readonly sequential: boolean;
  private wanted: Buffer;
  /** setData() calls so far, and how many of them the node is known to hold. */
  private dataGeneration = 0;
  private writtenGeneration = 0;
  /** The node's path: the given one, or, for a sequential node, the one last created. */
  private node: string | null;
  private held = false;
  /** Whether the node was ever in place: start() has resolved. */
  private createdOnce = false;
  /** Every session of the client since start(): nodes of the earlier ones are stale. */
  private readonly sessions = new Set<bigint>();
  /** The czxid of the foreign node last reported, so a conflict is reported once. */
  private conflictReported: bigint | null = null;
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private readonly firstCreate: Promise<void>;
  private settleStart: (failure: Error | null) => void = () => undefined;

  constructor(
    private readonly client: ZkClient,
    /** The node's path; for a sequential node, the prefix of its name. */
    readonly path: string,
    data: Buffer | string = Buffer.alloc(0),
    options: PersistentNodeOptions = {},
  ) {
    super();
    validatePath(path, { op: 'PersistentNode' });
    this.mode = options.mode ?? CreateMode.EPHEMERAL;
    if (!KEPT_MODES.includes(this.mode)) {
      throw new UnsupportedNodeModeError(`PersistentNode cannot keep a node of mode ${this.mode}`);
    }
    this.acl = options.acl;
    this.ephemeral =
      this.mode === CreateMode.EPHEMERAL || this.mode === CreateMode.EPHEMERAL_SEQUENTIAL;
    this.sequential =
      this.mode === CreateMode.EPHEMERAL_SEQUENTIAL ||
      this.mode === CreateMode.PERSISTENT_SEQUENTIAL;
    this.node = this.sequential ? null : path;
    this.wanted = Buffer.from(data);
    this.firstCreate = new Promise<void>((resolve, reject) => {
      this.settleStart = (failure) => (failure === null ? resolve() : reject(failure));
    });
    this.firstCreate.catch(() => undefined); // rejected only for the caller of start()
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** The path of the node held now (for a sequential node, with its number), or null. */
  get actualPath(): string | null {
    return this.held ? this.node : null;
  }

  /** The data the node holds, or will hold once written. */
  get data(): Buffer {
    return Buffer.from(this.wanted);
  }

  /**
   * Creates the node and keeps it. Resolves once it is first in place. Connection trouble
   * only delays that; a node of a foreign session at the path delays it until that node
   * goes. Rejects with the error of the first pass when it fails otherwise (NoAuthError on
   * the parent, say; the recipe is then closed), with NodeClosedError when close() comes
   * first, and with RecipeStateError when the recipe was started before.
   */
  async start(): Promise<void> {
    this.lifecycle.start();
    this.client.on('state', this.onClientState);
    this.pass().catch((error: unknown) => this.fail(error));
    await this.firstCreate;
  }

  /**
   * Sets the node's data. Before start(): what the first create writes. After it: resolves
   * once the node holds it (or once kept for the next creation, when no node is held now).
   * A ConnectionLossError or SessionExpiredError rejects, and the data is written when the
   * connection is back.
   */
  async setData(data: Buffer | string): Promise<void> {
    if (this.lifecycle.state === 'CLOSED') {
      throw new RecipeStateError(`PersistentNode ${this.path} is CLOSED: setData() refused`);
    }
    this.wanted = Buffer.from(data);
    this.dataGeneration++;
    if (this.lifecycle.state === 'STARTED') await this.pass();
  }

  /**
   * Stops keeping the node and deletes it (a guaranteed delete: again after a connection
   * loss; an ephemeral node only while its session lives, since it goes with it). Waits
   * for a pass in progress first. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.client.off('state', this.onClientState);
    this.settleStart(new NodeClosedError(`${this.path}: closed before the node was created`));
    await this.serially(() => this.release());
  }

  private readonly onClientState = (event: ZkStateEvent): void => {
    if (event !== 'CONNECTED' && event !== 'RECONNECTED') return;
    this.sessions.add(this.client.sessionId);
    this.pass().catch((error: unknown) => this.fail(error));
  };

  private readonly onNodeWatch = (event: WatchEvent): void => {
    if (event.type === EventType.None || event.path !== this.node) return;
    this.pass().catch((error: unknown) => this.fail(error));
  };

  /** Queues a pass, unless one is queued and not begun yet: that one serves this call too. */
  private pass(): Promise<void> {
    if (this.queued !== null) return this.queued;
    const pass = this.serially(() => {
      this.queued = null;
      return this.keep();
    });
    this.queued = pass;
    return pass;
  }

  /** Runs `task` after every task queued before it. */
  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Makes the node exist, held by this session, watched, with the data set last. */
  private async keep(): Promise<void> {
    while (this.lifecycle.state === 'STARTED') {
      const session = this.client.sessionId;
      // Between sessions: the new one's CONNECTED queues the next pass.
      if (session === 0n) return;
      this.sessions.add(session);
      const path = this.node;
      if (path !== null) {
        const found = await this.read(path);
        // The session ended while the answer was on its way: judge nothing by it (the new
        // session's CONNECTED has queued the next pass, or this loop waits at the top).
        if (this.client.sessionId !== session) continue;
        if (found !== null) {
          const owner = found.stat.ephemeralOwner;
          if (!this.ephemeral || owner === session) {
            if (await this.hold(path, found)) return;
            continue;
          }
          if (!this.sessions.has(owner)) {
            this.conflict(path, found.stat);
            return; // the watch on it wakes us when it goes
          }
          // A node of an earlier session of ours: delete it, then look again.
          this.lose(path);
          await this.deleteStale(path, found.stat.version);
          continue;
        }
        this.lose(path);
        if (this.sequential) this.node = null;
      }
      await this.create();
    }
  }

  /** The node's data and stat, with a data watch; null when it is missing (no watch left). */
  private async read(path: string): Promise<{ data: Buffer; stat: Stat } | null> {
    try {
      return await this.client.getData(path, { watch: this.onNodeWatch });
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  /** Keeps the found node, ours: writes the data it lacks. False: it changed, look again. */
  private async hold(path: string, found: { data: Buffer; stat: Stat }): Promise<boolean> {
    if (this.lifecycle.state !== 'STARTED') return true;
    const generation = this.dataGeneration;
    if (this.writtenGeneration < generation && !found.data.equals(this.wanted)) {
      try {
        await this.client.setData(path, this.wanted, found.stat.version);
      } catch (error) {
        if (error instanceof BadVersionError || error instanceof NoNodeError) return false;
        throw error;
      }
    }
    this.writtenGeneration = Math.max(this.writtenGeneration, generation);
    this.conflictReported = null;
    if (!this.held) {
      this.held = true;
      this.createdOnce = true;
      safeEmit(this, 'PersistentNode', 'created', path);
      this.settleStart(null);
    }
    return true;
  }

  /** Creates the node (and its missing parents); the next turn reads and watches it. */
  private async create(): Promise<void> {
    const generation = this.dataGeneration;
    const options = { mode: this.mode, ...(this.acl === undefined ? {} : { acl: this.acl }) };
    try {
      this.node = this.sequential
        ? await this.client.create(this.path, this.wanted, { ...options, protected: true })
        : await this.client.create(this.path, this.wanted, options);
      this.writtenGeneration = Math.max(this.writtenGeneration, generation);
    } catch (error) {
      if (error instanceof NodeExistsError) return; // read it next turn
      if (!(error instanceof NoNodeError)) throw error;
      await this.client.ensurePath(parentOf(this.path));
    }
  }

  /** Deletes a node of an earlier session of ours at the version read. */
  private async deleteStale(path: string, version: number): Promise<void> {
    try {
      await this.client.delete(path, version);
    } catch (error) {
      if (!(error instanceof NoNodeError) && !(error instanceof BadVersionError)) throw error;
    }
  }

  private lose(path: string): void {
    if (!this.held) return;
    this.held = false;
    safeEmit(this, 'PersistentNode', 'deleted', path);
  }

  private conflict(path: string, stat: Stat): void {
    this.lose(path);
    if (this.conflictReported === stat.czxid) return;
    this.conflictReported = stat.czxid;
    this.report(new NodeConflictError(path, stat.ephemeralOwner));
  }

  /** close(): deletes the node if it is this recipe's. */
  private async release(): Promise<void> {
    const path = this.node;
    if (path === null) return;
    try {
      if (!this.ephemeral) {
        if (this.held) await this.client.deleteGuaranteed(path);
        return;
      }
      // Also a node whose create's reply was lost: this session's all the same.
      const session = this.client.sessionId;
      const stat = await this.client.exists(path);
      if (stat === null || stat.ephemeralOwner !== session) return;
      await this.client.deleteGuaranteed(path, {
        stillNeeded: () => this.client.sessionId === session,
      });
    } catch (error) {
      // An ephemeral node goes with its session; a closed client sends nothing more.
      if (!(this.ephemeral && isConnectionFailure(error))) throw error;
    } finally {
      this.held = false;
    }
  }

  /** Connection trouble waits for the next pass; before the first creation, other errors end start(). */
  private fail(error: unknown): void {
    if (isConnectionFailure(error) || this.lifecycle.state !== 'STARTED') return;
    const reported = error instanceof Error ? error : new Error(String(error));
    if (!this.createdOnce) {
      this.settleStart(reported);
      this.close().catch((closing: unknown) => this.report(closing));
      return;
    }
    this.report(reported);
  }

  private report(error: unknown): void {
    const reported = error instanceof Error ? error : new Error(String(error));
    if (!safeEmit(this, 'PersistentNode', 'error', reported)) process.emitWarning(reported);
  }
}

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

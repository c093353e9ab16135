/**
 * What the caches of this family share (family-private): the lifecycle, the mirror and its
 * events, the serial work queue, and the reaction to connection states.
 *
 * The work queue is the heart of it: every read a cache makes, for a watch notification or
 * for a full rebuild, runs as one task after the tasks queued before it. Replies on a
 * session come in order, so each read is at least as new as every read before it, and the
 * mirror only ever moves forward. Watches are armed by (or before) the read they guard, so
 * a change made after a read always queues another task.
 *
 * Connection states, one switch (`onClientState`):
 * - SUSPENDED: nothing changes; the cache keeps serving what it holds, which may be stale.
 * - RECONNECTED: the same session is back. The client re-registered the watches; the
 *   cache still re-reads everything (a read may have failed while the connection was
 *   down, and a 3.8 server replays nothing deep inside a recursive watch) and reports the
 *   difference.
 * - LOST: watches are gone with the session; the cache keeps what it holds.
 * - CONNECTED (the new session after LOST): the cache watches again, re-reads everything and
 *   reports what changed meanwhile as added, updated and removed.
 *
 * Failures other than the connection's:
 * - before the first full read is in, a full read that fails (NoAuth on the cached path,
 *   say) makes start() reject with its error, and the cache closes;
 * - after it, a failed read is reported as `error` (or a process warning) and the cache
 *   keeps what it holds;
 * - a node below the cached path that this session may not read is left out of the cache
 *   and reported the same way; the others are cached;
 * - a listener that throws is reported as a CacheListenerError on the next tick; the cache
 *   and the other listeners go on (events are emitted once the copy is updated).
 */
import { EventEmitter } from 'node:events';
import {
  ClientClosedError,
  ConnectionLossError,
  SessionExpiredError,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { CacheListenerError } from './errors';
import type { CacheChangeType, CacheEvents, ChildData } from './events';
import { Mirror, type MirrorChange } from './mirror';

export abstract class CacheBase extends EventEmitter<CacheEvents> {
  protected readonly lifecycle: Lifecycle;
  protected readonly mirror = new Mirror((change) => this.announce(change));
  private tail: Promise<void> = Promise.resolve();
  private initialized = false;
  private readonly ready: Promise<void>;
  private settleStart: (failure: Error | null) => void = () => undefined;
  /** Why the first full read failed: start() rejects with it. */
  private startFailure: Error | null = null;

  protected constructor(
    protected readonly client: ZkClient,
    /** The path the cache mirrors. */
    readonly path: string,
    recipe: string,
  ) {
    super();
    this.lifecycle = new Lifecycle(recipe);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleStart = (failure) => (failure === null ? resolve() : reject(failure));
    });
  }

  /** LATENT, STARTED or CLOSED. */
  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** Whether the first full read is in (`initialized` was emitted). */
  get isInitialized(): boolean {
    return this.initialized;
  }

  /** The held node at `path`, or undefined. */
  get(path: string): ChildData | undefined {
    return this.mirror.get(path);
  }

  /** Every held node, sorted by path. */
  entries(): ChildData[] {
    return this.mirror.entries();
  }

  /**
   * Starts watching and reading. Resolves once the first full read is in the cache (after
   * `initialized`), or at close() if that comes first. Rejects with the error of the first
   * full read when it fails for a reason other than the connection (NoAuthError, say); the
   * cache is then closed. Rejects with RecipeStateError when the cache was started before.
   */
  start(): Promise<void> {
    try {
      this.lifecycle.start();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.client.on('state', this.onClientState);
    this.enqueue(() => this.readAll());
    return this.ready;
  }

  /**
   * Stops for good: no event after it. Removes the cache's persistent watch; one-shot
   * watches still armed on the server fire once more, unheard. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.client.off('state', this.onClientState);
    this.settleStart(this.startFailure);
    await this.detach();
  }

  /** Arms the watches and reads everything the cache covers, then reports the difference. */
  protected abstract rebuild(): Promise<void>;

  /** The session is gone, and its watches with it. */
  protected onSessionLost(): void {}

  /** Releases what close() must release (a persistent watch). */
  protected detach(): Promise<void> {
    return Promise.resolve();
  }

  /** Queues `task` behind every task queued before it; it is skipped once the cache is closed. */
  protected enqueue(task: () => Promise<void> | void): void {
    this.tail = this.tail
      .then(async () => {
        if (this.lifecycle.state === 'STARTED') await task();
      })
      .catch((error: unknown) => {
        if (!isConnectionFailure(error)) this.report(error);
      });
  }

  /**
   * Reports a failure that is not the connection's as `error`, or as a process warning when
   * nothing listens. An `error` listener that throws is rethrown apart, so the cache goes on.
   */
  protected report(error: unknown): void {
    const reported = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') === 0) {
      process.emitWarning(reported);
      return;
    }
    try {
      this.emit('error', reported);
    } catch (thrown) {
      process.nextTick(() => {
        throw thrown;
      });
    }
  }

  protected isStarted(): boolean {
    return this.lifecycle.state === 'STARTED';
  }

  /** After a full read: emits `initialized` the first time. */
  protected markInitialized(): void {
    if (this.initialized || !this.isStarted()) return;
    this.initialized = true;
    this.emitToEach('initialized');
    this.settleStart(null);
  }

  /**
   * A full read. Before the first one is in, a failure other than the connection's ends
   * the start: start() rejects with it and the cache closes. Connection trouble needs
   * nothing here: the RECONNECTED or CONNECTED that must follow it queues another full read
   * (and a closed client sends nothing more).
   */
  private async readAll(): Promise<void> {
    try {
      await this.rebuild();
    } catch (error) {
      if (this.initialized || isConnectionFailure(error)) throw error;
      this.startFailure = error instanceof Error ? error : new Error(String(error));
      this.close().catch((closing: unknown) => this.report(closing));
    }
  }

  private readonly onClientState = (event: ZkStateEvent): void => {
    switch (event) {
      case 'LOST':
        this.onSessionLost();
        return;
      case 'CONNECTED':
      case 'RECONNECTED':
        this.enqueue(() => this.readAll());
        return;
      case 'SUSPENDED':
      case 'CLOSED':
        return;
    }
  };

  private announce(change: MirrorChange): void {
    if (!this.isStarted()) return;
    switch (change.type) {
      case 'added':
        this.emitToEach('added', change.node);
        return;
      case 'updated':
        this.emitToEach('updated', change.node, change.previous);
        return;
      case 'removed':
        this.emitToEach('removed', change.node);
        return;
    }
  }

  /**
   * Emits one event to each listener in turn (as zk-client's notify()): a listener that
   * throws stops neither the others nor the cache; it is reported on the next tick. The raw
   * listeners: a `once` listener's wrapper removes it as emit() would.
   */
  private emitToEach<K extends CacheChangeType | 'initialized'>(
    event: K,
    ...args: CacheEvents[K]
  ): void {
    for (const listener of this.rawListeners(event) as ((...a: CacheEvents[K]) => void)[]) {
      try {
        Reflect.apply(listener, this, args);
      } catch (error) {
        const reported = new CacheListenerError(event, error);
        process.nextTick(() => this.report(reported));
      }
    }
  }
}

/**
 * Connection trouble: a full read follows the RECONNECTED or CONNECTED that must come (and
 * a closed client sends nothing more), so the failed read is not reported.
 */
export function isConnectionFailure(error: unknown): boolean {
  return (
    error instanceof ConnectionLossError ||
    error instanceof SessionExpiredError ||
    error instanceof ClientClosedError
  );
}

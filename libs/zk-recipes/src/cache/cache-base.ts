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
import type { CacheEvents, ChildData } from './events';
import { Mirror, type MirrorChange } from './mirror';

export abstract class CacheBase extends EventEmitter<CacheEvents> {
  protected readonly lifecycle: Lifecycle;
  protected readonly mirror = new Mirror((change) => this.announce(change));
  private tail: Promise<void> = Promise.resolve();
  private initialized = false;
  private readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;

  protected constructor(
    protected readonly client: ZkClient,
    /** The path the cache mirrors. */
    readonly path: string,
    recipe: string,
  ) {
    super();
    this.lifecycle = new Lifecycle(recipe);
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
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
   * `initialized`), or at close() if that comes first. Throws RecipeStateError when the
   * cache was started before.
   */
  start(): Promise<void> {
    this.lifecycle.start();
    this.client.on('state', this.onClientState);
    this.enqueue(() => this.rebuild());
    return this.ready;
  }

  /**
   * Stops for good: no event after it. Removes the cache's persistent watch; one-shot
   * watches still armed on the server fire once more, unheard. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.client.off('state', this.onClientState);
    this.markReady();
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
        try {
          this.fail(error);
        } catch (thrown) {
          // An `error` listener threw: rethrown apart, so the queue goes on.
          process.nextTick(() => {
            throw thrown;
          });
        }
      });
  }

  protected isStarted(): boolean {
    return this.lifecycle.state === 'STARTED';
  }

  /** After a full read: emits `initialized` the first time. */
  protected markInitialized(): void {
    if (this.initialized || !this.isStarted()) return;
    this.initialized = true;
    this.emit('initialized');
    this.markReady();
  }

  private readonly onClientState = (event: ZkStateEvent): void => {
    switch (event) {
      case 'LOST':
        this.onSessionLost();
        return;
      case 'CONNECTED':
      case 'RECONNECTED':
        this.enqueue(() => this.rebuild());
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
        this.emit('added', change.node);
        return;
      case 'updated':
        this.emit('updated', change.node, change.previous);
        return;
      case 'removed':
        this.emit('removed', change.node);
        return;
    }
  }

  /**
   * A task failed. Connection trouble needs nothing here: the RECONNECTED or CONNECTED that
   * must follow it queues a full re-read (and a closed client sends nothing more).
   */
  private fail(error: unknown): void {
    if (
      error instanceof ConnectionLossError ||
      error instanceof SessionExpiredError ||
      error instanceof ClientClosedError
    ) {
      return;
    }
    const reported = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') > 0) this.emit('error', reported);
    else process.emitWarning(reported);
  }
}

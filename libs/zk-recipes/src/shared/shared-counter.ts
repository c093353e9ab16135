/**
 * SharedCounter: an integer in one znode that many clients read and change safely
 * (Curator's SharedCount, kazoo's Counter).
 *
 * The value is stored as a decimal string (readable from zkCli). Every change is a
 * compare-and-set on the znode version: `trySetValue` succeeds only if nobody wrote since
 * the value it was given was read, and `increment` repeats read + compare-and-set until
 * its write lands on the version it read, so concurrent increments are never lost.
 * A 'change' event reports each new value this client sees, through a data watch that is
 * set again with the read that follows it (so no change after that read is missed; changes
 * in quick succession may be reported as their last value only, as with any watch).
 *
 * Connection states (a counter holds nothing, so it takes no ConnectionPolicy):
 * - SUSPENDED: calls wait for the reconnect (see the client); the watch is restored on
 *   reconnect and the server reports a change made meanwhile.
 * - LOST: the watch ends; it is set again in the new session, with a fresh read that
 *   reports any change made meanwhile.
 * - The znode version is an int32 that wraps: at -1 ("any version") there is no
 *   compare-and-set, and trySetValue and increment reject with CounterVersionError.
 * - A write under way when the connection drops rejects with ConnectionLossError: it may
 *   or may not have been applied, and it is not repeated (an increment repeated blindly
 *   could count twice).
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { BadVersionError, type ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import { checkValue, ensureCounter, parseValue } from './counter-value';

export { CounterDataError } from './counter-value';

/** The longest pause between two tries of an increment that lost a race. */
const MAX_BACKOFF_MS = 50;

/** A value with the znode version it was read at: what trySetValue compares against. */
export interface VersionedValue {
  readonly value: number;
  readonly version: number;
}

export interface SharedCounterEvents {
  /** A value this client had not seen yet (read, written by it, or by another client). */
  change: [VersionedValue];
}

/**
 * A compare-and-set at version -1, which ZooKeeper reads as "any version": a znode's version
 * is an int32 that wraps (ZOOKEEPER-4743), and after 2^32 - 1 writes it reads -1. There is
 * no compare-and-set at that version, so trySetValue and increment refuse rather than write
 * blindly over concurrent changes (Curator's IllegalTrySetVersionException, CURATOR-688).
 * One blind `setValue` moves the version on; or delete the znode and start again.
 */
export class CounterVersionError extends Error {
  override readonly name = 'CounterVersionError';
  constructor(readonly path: string) {
    super(`${path} is at version -1, at which no compare-and-set exists (the version wrapped)`);
  }
}

export class SharedCounter extends EventEmitter<SharedCounterEvents> {
  private readonly lifecycle = new Lifecycle('SharedCounter');
  private last: VersionedValue | undefined;
  /** The zxid of the write that made `last`: later writes have higher ones. */
  private lastZxid = -1n;
  /** A data watch is set and has not fired yet. */
  private watching = false;
  private refreshing: Promise<void> | null = null;
  private readonly onState = (event: ZkStateEvent): void => {
    if (event === 'CONNECTED' || event === 'RECONNECTED') this.rewatch();
  };
  private readonly onWatch = (): void => {
    this.watching = false;
    this.rewatch();
  };

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    /** The value the node starts with when start() finds no node. */
    private readonly initialValue = 0,
  ) {
    super();
    checkValue(initialValue);
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /** The last value seen (by a read, a write or the watch); undefined before start(). */
  get value(): VersionedValue | undefined {
    return this.last;
  }

  /** Creates the node with the initial value if missing, reads it and sets the watch. */
  async start(): Promise<void> {
    this.lifecycle.start();
    await ensureCounter(this.client, this.path, this.initialValue);
    this.client.on('state', this.onState);
    await this.refresh();
  }

  /**
   * The current value, read from ZooKeeper after a sync: it reflects every write that
   * completed before the call, whichever client made it.
   */
  async get(): Promise<number> {
    return (await this.getVersioned()).value;
  }

  /** The current value with its version, read after a sync as get() does. */
  async getVersioned(): Promise<VersionedValue> {
    this.lifecycle.assertStarted();
    await this.client.sync(this.path);
    return this.read();
  }

  /** A read from this client's server, which may lag: enough for a compare-and-set. */
  private async read(): Promise<VersionedValue> {
    const { data, stat } = await this.client.getData(this.path);
    const read = { value: parseValue(data, this.path), version: stat.version };
    this.publish(read, stat.mzxid);
    return read;
  }

  /**
   * Sets `value` if the counter is still at `expected.version`: true when it was set,
   * false when another write came first (read again and decide again). Rejects with
   * CounterVersionError at version -1 (the version wrapped), and writes nothing.
   */
  async trySetValue(expected: VersionedValue, value: number): Promise<boolean> {
    this.lifecycle.assertStarted();
    checkValue(value);
    if (expected.version === -1) throw new CounterVersionError(this.path);
    try {
      const stat = await this.client.setData(this.path, String(value), expected.version);
      this.publish({ value, version: stat.version }, stat.mzxid);
      return true;
    } catch (error) {
      if (error instanceof BadVersionError) return false;
      throw error;
    }
  }

  /** Sets `value` whatever the counter holds. */
  async setValue(value: number): Promise<void> {
    this.lifecycle.assertStarted();
    checkValue(value);
    const stat = await this.client.setData(this.path, String(value));
    this.publish({ value, version: stat.version }, stat.mzxid);
  }

  /** Adds `by` (may be negative) with compare-and-set, and returns the value it wrote. */
  async increment(by = 1): Promise<number> {
    this.lifecycle.assertStarted();
    checkValue(by);
    for (let attempt = 0; ; attempt++) {
      const read = await this.read();
      const next = read.value + by;
      checkValue(next);
      if (await this.trySetValue(read, next)) return next;
      // Another write came first: back off a little (jittered), so that many writers at
      // once do not all retry in lockstep.
      await sleep(Math.random() * Math.min(2 ** attempt, MAX_BACKOFF_MS));
    }
  }

  /** Stops the events. Idempotent. */
  close(): Promise<void> {
    if (this.lifecycle.close()) {
      this.client.off('state', this.onState);
      this.removeAllListeners();
    }
    return Promise.resolve();
  }

  private rewatch(): void {
    if (this.lifecycle.state !== 'STARTED' || this.watching || this.refreshing !== null) return;
    this.refresh().catch(() => {
      // Connection trouble: the next CONNECTED or RECONNECTED sets the watch again.
    });
  }

  /** Reads the value and sets the data watch in the same request. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const { data, stat } = await this.client.getData(this.path, { watch: this.onWatch });
        this.watching = true;
        this.publish({ value: parseValue(data, this.path), version: stat.version }, stat.mzxid);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Keeps and reports `seen` unless a read or write of a later one (by zxid) came first. */
  private publish(seen: VersionedValue, mzxid: bigint): void {
    if (this.last !== undefined && mzxid <= this.lastZxid) return;
    this.last = seen;
    this.lastZxid = mzxid;
    if (this.lifecycle.state === 'STARTED') safeEmit(this, 'SharedCounter', 'change', seen);
  }
}

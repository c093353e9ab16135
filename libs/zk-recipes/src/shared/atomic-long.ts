/**
 * AtomicLong: an integer in one znode, changed by compare-and-set, each change reporting
 * the value it replaced and the value it wrote (Curator's DistributedAtomicLong and its
 * AtomicValue, kazoo's Counter.pre_value / post_value).
 *
 * The value is a decimal string (readable from zkCli, and the same format as
 * SharedCounter's: both may use one znode). Every change reads the znode and writes with
 * `setData(path, value, version)`: it lands only if nobody wrote since the read, so
 * `preValue` is exactly the value it replaced. A change that lost the race reads again and
 * tries again (with a short jittered pause), up to `maxTries`.
 *
 * What an operation resolves to, `{ succeeded, preValue, postValue }`:
 * - succeeded: our write landed; `preValue` is the value it replaced, `postValue` ours.
 *   No two successful changes report the same `preValue` version: each post value of an
 *   increment is unique.
 * - not succeeded (nothing written by us): compareAndSet found another value, or
 *   `maxTries` writes lost their race. `preValue` = `postValue` = the value last read.
 *
 * Connection states (an atomic long holds nothing, so it takes no ConnectionPolicy):
 * - SUSPENDED / LOST: reads wait for the connection (the client repeats them).
 * - A write under way when the connection drops rejects with the client's
 *   ConnectionLossError: the server may or may not have applied it, and it is not
 *   repeated (an increment repeated blindly could count twice). Read the value and
 *   decide; only you know whether your change is safe to make again.
 * - The znode version is an int32 that wraps: at -1 ("any version") there is no
 *   compare-and-set, and every change rejects with CounterVersionError, writing nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BadVersionError, type ZkClient } from '@zk-lab/zk-client';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { checkValue, ensureCounter, parseValue } from './counter-value';
import { CounterVersionError } from './shared-counter';

/** The longest pause between two tries of a change that lost a race. */
const MAX_BACKOFF_MS = 50;

/** What a change did: see the module comment. */
export interface AtomicValue {
  readonly succeeded: boolean;
  readonly preValue: number;
  readonly postValue: number;
}

export interface AtomicLongOptions {
  /** The value the znode starts with when start() finds none. Default 0. */
  initialValue?: number;
  /** How many compare-and-set writes a change may lose before it gives up. Default: no limit. */
  maxTries?: number;
}

export class AtomicLong {
  private readonly lifecycle = new Lifecycle('AtomicLong');
  private readonly initialValue: number;
  private readonly maxTries: number;
  /** Changes under way; close() waits for them. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly client: ZkClient,
    readonly path: string,
    options: AtomicLongOptions = {},
  ) {
    this.initialValue = options.initialValue ?? 0;
    checkValue(this.initialValue);
    this.maxTries = options.maxTries ?? Number.POSITIVE_INFINITY;
    if (
      !(this.maxTries >= 1) ||
      (Number.isFinite(this.maxTries) && !Number.isInteger(this.maxTries))
    ) {
      throw new RangeError(`maxTries must be a positive integer, got ${options.maxTries}`);
    }
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /**
   * Creates the znode with the initial value unless it exists. If that fails, the recipe
   * is CLOSED (make a new one) and the error is the rejection.
   */
  async start(): Promise<void> {
    this.lifecycle.start();
    try {
      await ensureCounter(this.client, this.path, this.initialValue);
    } catch (error) {
      this.lifecycle.close();
      throw error;
    }
  }

  /** The current value, read after a sync: it reflects every write completed before the call. */
  async get(): Promise<number> {
    this.lifecycle.assertStarted();
    await this.client.sync(this.path);
    return (await this.read()).value;
  }

  /** Adds 1, or `by`. */
  async increment(by = 1): Promise<AtomicValue> {
    checkValue(by);
    return this.add(by);
  }

  /** Subtracts 1, or `by`. */
  async decrement(by = 1): Promise<AtomicValue> {
    checkValue(by);
    return this.add(-by);
  }

  /** Adds `by` (may be negative). RangeError, writing nothing, if the sum is not a safe integer. */
  async add(by: number): Promise<AtomicValue> {
    checkValue(by);
    return this.change((current) => current + by);
  }

  /** Sets `value` if the value is `expected`; not succeeded if it is another. */
  async compareAndSet(expected: number, value: number): Promise<AtomicValue> {
    checkValue(expected);
    checkValue(value);
    return this.change((current) => (current === expected ? value : null));
  }

  /** Sets `value` whatever the value is; not succeeded only when `maxTries` ran out. */
  async trySet(value: number): Promise<AtomicValue> {
    checkValue(value);
    return this.change(() => value);
  }

  /** Lets changes under way finish, then refuses new ones. Idempotent. */
  async close(): Promise<void> {
    this.lifecycle.close();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Read, compute, compare-and-set, until the write lands, `next` says no (null) to a
   * value read after a sync, or `maxTries` writes lost their race.
   */
  private change(next: (current: number) => number | null): Promise<AtomicValue> {
    this.lifecycle.assertStarted();
    const task = (async (): Promise<AtomicValue> => {
      let synced = false;
      for (let tries = 1; ; tries++) {
        const read = await this.read();
        const value = next(read.value);
        const unchanged = { succeeded: false, preValue: read.value, postValue: read.value };
        if (value === null) {
          // Our server may lag: refuse only on a value read after a sync, so that the value
          // reported is at least as new as every write completed before the call.
          if (synced) return unchanged;
          await this.client.sync(this.path);
          synced = true;
          tries--;
          continue;
        }
        checkValue(value);
        if (read.version === -1) throw new CounterVersionError(this.path);
        try {
          await this.client.setData(this.path, String(value), read.version);
          return { succeeded: true, preValue: read.value, postValue: value };
        } catch (error) {
          if (!(error instanceof BadVersionError)) throw error;
        }
        if (tries >= this.maxTries) return unchanged;
        // Another write came first: back off a little (jittered), so that many writers at
        // once do not all try again in lockstep.
        await sleep(Math.random() * Math.min(2 ** tries, MAX_BACKOFF_MS));
        this.lifecycle.assertStarted();
      }
    })();
    const tracked = task.catch(() => undefined).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
    return task;
  }

  /** A read from this client's server, which may lag: enough for a compare-and-set. */
  private async read(): Promise<{ value: number; version: number }> {
    const { data, stat } = await this.client.getData(this.path);
    return { value: parseValue(data, this.path), version: stat.version };
  }
}

/** SharedCounter against the run's shared ensemble, with a client (a session) per user. */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { RecipeStateError } from '../common/lifecycle';
import {
  CounterDataError,
  CounterVersionError,
  SharedCounter,
  type VersionedValue,
} from './shared-counter';

describe('SharedCounter on a live ensemble', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const counters: SharedCounter[] = [];
  let admin: ZkClient;
  let n = 0;

  async function counter(path: string, initial = 0): Promise<SharedCounter> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    const made = new SharedCounter(client, path, initial);
    counters.push(made);
    await made.start();
    return made;
  }

  function fresh(name: string): string {
    n++;
    return `${root}/${name}-${n}`;
  }

  /** The first 'change' event whose value is `value`. */
  function changeTo(recipe: SharedCounter, value: number): Promise<VersionedValue> {
    return new Promise((resolve) => {
      const listener = (seen: VersionedValue): void => {
        if (seen.value !== value) return;
        recipe.off('change', listener);
        resolve(seen);
      };
      recipe.on('change', listener);
    });
  }

  beforeAll(async () => {
    admin = await ZkClient.connect({ connectString: sharedConnectString() });
    await admin.create(root);
  });

  afterEach(async () => {
    await Promise.all(counters.splice(0).map((c) => c.close()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await admin.close();
  });

  it('starts at its initial value, and a second user finds the value already there', async () => {
    const path = fresh('initial');
    const first = await counter(path, 7);
    expect(await first.get()).toBe(7);
    expect(first.value).toEqual({ value: 7, version: 0 });
    const second = await counter(path, 100);
    expect(await second.get()).toBe(7);
    await admin.sync(path);
    expect((await admin.getData(path)).data.toString()).toBe('7');
  });

  it('loses no increment when 4 sessions increment 25 times each, all at once', async () => {
    const path = fresh('concurrent');
    const users = await Promise.all([0, 1, 2, 3].map(() => counter(path)));
    const written = await Promise.all(
      users.flatMap((user) => Array.from({ length: 25 }, () => user.increment())),
    );
    expect(await users[0]!.get()).toBe(100);
    // Each increment wrote a value of its own: 1..100, each once.
    expect([...written].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect(await users[1]!.increment(-10)).toBe(90);
  });

  it('trySetValue succeeds on the version it read and fails once another write came first', async () => {
    const path = fresh('cas');
    const [a, b] = await Promise.all([counter(path), counter(path)]);
    const read = await a.getVersioned();
    await b.setValue(5);
    await expect(a.trySetValue(read, 1)).resolves.toBe(false);
    expect(await a.get()).toBe(5);
    const current = await a.getVersioned();
    await expect(a.trySetValue(current, 6)).resolves.toBe(true);
    expect(await b.get()).toBe(6);
  });

  it('refuses a compare-and-set at version -1 ("any version": the version wrapped), and writes nothing', async () => {
    // The version wraps after 2^32 - 1 writes (ZOOKEEPER-4743), too many for a test: the
    // read a caller would have made then is given as it would be.
    const path = fresh('wrapped');
    const [a, b] = await Promise.all([counter(path), counter(path)]);
    await b.setValue(5); // a concurrent write the blind one would overwrite
    const wrapped: VersionedValue = { value: 0, version: -1 };
    await expect(a.trySetValue(wrapped, 1)).rejects.toThrow(new CounterVersionError(path).message);
    await expect(a.trySetValue(wrapped, 1)).rejects.toBeInstanceOf(CounterVersionError);
    await admin.sync(path);
    expect((await admin.getData(path)).data.toString()).toBe('5');
  });

  it('a throwing change listener stops neither the other listeners nor the counter', async () => {
    const path = fresh('throwing-listener');
    const watcher = await counter(path);
    const writer = await counter(path);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      watcher.on('change', () => {
        throw new Error('a listener that throws');
      });
      const first = changeTo(watcher, 1);
      await writer.increment();
      await expect(first).resolves.toEqual({ value: 1, version: 1 });
      const second = changeTo(watcher, 2); // the watch was set again
      await writer.increment();
      await expect(second).resolves.toEqual({ value: 2, version: 2 });
      expect(warn).toHaveBeenCalledWith(
        "a SharedCounter 'change' listener threw: Error: a listener that throws",
        { code: 'ZK_RECIPES_LISTENER_ERROR' },
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("reports another session's changes as events", async () => {
    const path = fresh('events');
    const watcher = await counter(path);
    const writer = await counter(path);
    const seen = changeTo(watcher, 3);
    await writer.increment(3);
    await expect(seen).resolves.toEqual({ value: 3, version: 1 });
    const next = changeTo(watcher, 4);
    await writer.increment();
    await expect(next).resolves.toEqual({ value: 4, version: 2 });
    expect(watcher.value).toEqual({ value: 4, version: 2 });
  });

  it('rejects data that is not an integer, values that are not safe integers, and use after close', async () => {
    const path = fresh('bad');
    const user = await counter(path);
    await admin.setData(path, 'twelve');
    await expect(user.get()).rejects.toBeInstanceOf(CounterDataError);
    await expect(user.setValue(1.5)).rejects.toBeInstanceOf(RangeError);
    await user.close();
    await user.close();
    await expect(user.get()).rejects.toBeInstanceOf(RecipeStateError);
  });
});

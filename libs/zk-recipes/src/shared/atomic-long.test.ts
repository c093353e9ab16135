/** AtomicLong against the run's shared ensemble, with a client (a session) per user. */
import { ConnectionLossError, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, useFaultProxy, ZkOpType } from '@zk-lab/test';
import { RecipeStateError } from '../common/lifecycle';
import { AtomicLong, type AtomicLongOptions } from './atomic-long';
import { CounterDataError } from './counter-value';

describe('AtomicLong on a live ensemble', () => {
  const root = testRoot();
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  const longs: AtomicLong[] = [];
  let admin: ZkClient;
  let n = 0;

  async function connect(connectString = sharedConnectString()): Promise<ZkClient> {
    const client = await ZkClient.connect({ connectString, sessionTimeoutMs: 4_000 });
    clients.push(client);
    return client;
  }

  async function atomicLong(
    path: string,
    options: AtomicLongOptions & { client?: ZkClient } = {},
  ): Promise<AtomicLong> {
    const made = new AtomicLong(options.client ?? (await connect()), path, options);
    longs.push(made);
    await made.start();
    return made;
  }

  function fresh(name: string): string {
    n++;
    return `${root}/${name}-${n}`;
  }

  /** The znode's data as the leader has it. */
  async function stored(path: string): Promise<string> {
    await admin.sync(path);
    return (await admin.getData(path)).data.toString();
  }

  beforeAll(async () => {
    admin = await ZkClient.connect({ connectString: sharedConnectString() });
    await admin.create(root);
  });

  afterEach(async () => {
    await Promise.all(longs.splice(0).map((l) => l.close()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await admin.close();
  });

  it('loses no increment from 4 sessions at once, and each post value is unique', async () => {
    const path = fresh('concurrent');
    const users = await Promise.all([0, 1, 2, 3].map(() => atomicLong(path)));
    const results = await Promise.all(
      users.flatMap((user) => Array.from({ length: 25 }, () => user.increment())),
    );
    expect(results.every((r) => r.succeeded && r.postValue === r.preValue + 1)).toBe(true);
    // Every increment replaced a value of its own: the post values are 1..100, each once.
    const posts = results.map((r) => r.postValue).sort((a, b) => a - b);
    expect(posts).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await users[0]!.get()).toBe(100);
    expect(await stored(path)).toBe('100');
  });

  it('reports the value each change replaced and the value it wrote', async () => {
    const path = fresh('pre-post');
    const value = await atomicLong(path, { initialValue: 10 });
    expect(await value.get()).toBe(10);
    await expect(value.increment()).resolves.toEqual({
      succeeded: true,
      preValue: 10,
      postValue: 11,
    });
    await expect(value.increment(5)).resolves.toEqual({
      succeeded: true,
      preValue: 11,
      postValue: 16,
    });
    await expect(value.decrement()).resolves.toEqual({
      succeeded: true,
      preValue: 16,
      postValue: 15,
    });
    await expect(value.add(-20)).resolves.toEqual({ succeeded: true, preValue: 15, postValue: -5 });
    await expect(value.trySet(42)).resolves.toEqual({
      succeeded: true,
      preValue: -5,
      postValue: 42,
    });
    expect(await stored(path)).toBe('42');
    // A second user finds the value there, whatever its own initial value.
    const other = await atomicLong(path, { initialValue: 7 });
    expect(await other.get()).toBe(42);
  });

  it('compareAndSet writes on the expected value, and on another writes nothing', async () => {
    const path = fresh('cas');
    const [a, b] = await Promise.all([atomicLong(path), atomicLong(path)]);
    await expect(a.compareAndSet(0, 5)).resolves.toEqual({
      succeeded: true,
      preValue: 0,
      postValue: 5,
    });
    // b expects the 0 it last knew of: refused, and told the value that is there.
    await expect(b.compareAndSet(0, 9)).resolves.toEqual({
      succeeded: false,
      preValue: 5,
      postValue: 5,
    });
    expect(await stored(path)).toBe('5');
    await expect(b.compareAndSet(5, 9)).resolves.toEqual({
      succeeded: true,
      preValue: 5,
      postValue: 9,
    });
  });

  it('gives up after maxTries writes lost their race, with the value it last read', async () => {
    const path = fresh('max-tries');
    const client = await connect();
    const loser = await atomicLong(path, { client, maxTries: 1 });
    // Another session writes between our read and our compare-and-set (a spy on our reads).
    const read = client.getData.bind(client);
    client.getData = async (...args: Parameters<ZkClient['getData']>) => {
      const reply = await read(...args);
      await admin.setData(path, '100');
      return reply;
    };
    await expect(loser.increment()).resolves.toEqual({
      succeeded: false,
      preValue: 0,
      postValue: 0,
    });
    expect(await stored(path)).toBe('100');
  });

  it('rejects a write lost with the connection with ConnectionLossError, and does not repeat it', async () => {
    const path = fresh('lost-write');
    await atomicLong(path); // makes the node at 0
    const server = sharedConnectString().split(',')[0]!;
    const link = `atomic-long-${n}`;
    const { listenPort } = await proxy().addLink(link, {
      targetPort: Number(server.split(':')[1]),
    });
    const user = await atomicLong(path, { client: await connect(`127.0.0.1:${listenPort}`) });
    // The server applies the write; its reply is dropped and the connection cut.
    const dropped = proxy().dropNextReply(link, { opTypes: [ZkOpType.setData] });
    const error: unknown = await user.increment().catch((e: unknown) => e);
    await dropped;
    expect(error).toBeInstanceOf(ConnectionLossError);
    // Applied once, never twice: the caller reads and decides.
    expect(await user.get()).toBe(1);
    expect(await stored(path)).toBe('1');
  });

  it('refuses data that is not an integer, sums past a safe integer, and use out of order', async () => {
    const path = fresh('bad');
    const unstarted = new AtomicLong(admin, path);
    await expect(unstarted.increment()).rejects.toBeInstanceOf(RecipeStateError);
    const value = await atomicLong(path, { initialValue: Number.MAX_SAFE_INTEGER });
    await expect(value.increment()).rejects.toBeInstanceOf(RangeError);
    expect(await stored(path)).toBe(String(Number.MAX_SAFE_INTEGER));
    await admin.setData(path, 'twelve');
    await expect(value.get()).rejects.toBeInstanceOf(CounterDataError);
    await expect(value.start()).rejects.toBeInstanceOf(RecipeStateError);
    await value.close();
    await value.close();
    await expect(value.get()).rejects.toBeInstanceOf(RecipeStateError);
    expect(() => new AtomicLong(admin, path, { maxTries: 0 })).toThrow(RangeError);
  });
});

/**
 * DistributedQueue against the run's shared ensemble: producers and consumers on clients
 * (sessions) of their own. The multi-process test with a killed consumer is
 * distributed-queue.processes.test.ts.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { DistributedQueue, type QueueItem } from './distributed-queue';
import { ClaimLostError, QueueClosedError, QueueFullError } from './errors';

describe('DistributedQueue on a live ensemble', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const queues: DistributedQueue[] = [];
  let admin: ZkClient;
  let n = 0;

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    return client;
  }

  const clientOf = new Map<DistributedQueue, ZkClient>();

  async function queue(path: string, maxDepth?: number): Promise<DistributedQueue> {
    const client = await connect();
    const made = new DistributedQueue(client, path, maxDepth === undefined ? {} : { maxDepth });
    clientOf.set(made, client);
    queues.push(made);
    await made.start();
    return made;
  }

  function fresh(name: string): string {
    n++;
    return `${root}/${name}-${n}`;
  }

  async function take(consumer: DistributedQueue): Promise<QueueItem> {
    const item = await consumer.take({ timeoutMs: 10_000 });
    if (item === null) throw new Error('no item within 10 s');
    return item;
  }

  /** The children of `path` as the leader has them: sync first, as the writes were others'. */
  async function childrenOf(path: string): Promise<string[]> {
    await admin.sync(path);
    return admin.getChildren(path);
  }

  const text = (item: QueueItem | null): string | undefined => item?.data.toString();

  beforeAll(async () => {
    admin = await connect();
    await admin.create(root);
  });

  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close()));
    await Promise.all(clients.splice(1).map((c) => c.close()));
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('hands items out in the order they were put, and complete() removes item and claim', async () => {
    const path = fresh('order');
    const producer = await queue(path);
    const consumer = await queue(path);
    for (let i = 0; i < 5; i++) await producer.put(`job ${i}`);
    const taken: string[] = [];
    for (let i = 0; i < 5; i++) {
      const item = await take(consumer);
      taken.push(text(item)!);
      await item.complete();
      await item.complete(); // idempotent
      expect(item.state).toBe('COMPLETED');
    }
    expect(taken).toEqual(['job 0', 'job 1', 'job 2', 'job 3', 'job 4']);
    expect(await childrenOf(path)).toEqual([]);
    expect(await childrenOf(`${path}-claims`)).toEqual([]);
  });

  it('a waiting consumer gets an item as soon as it is put', async () => {
    const path = fresh('wait');
    const producer = await queue(path);
    const consumer = await queue(path);
    const waiting = consumer.take();
    await expect(consumer.take({ timeoutMs: 300 })).resolves.toBeNull();
    await producer.put('late');
    const item = await waiting;
    expect(text(item)).toBe('late');
    await item!.complete();
  });

  it('an item held by one consumer goes to no other until it is given back', async () => {
    const path = fresh('held');
    const producer = await queue(path);
    const a = await queue(path);
    const b = await queue(path);
    await producer.put('first');
    await producer.put('second');

    const first = await take(a);
    expect(text(first)).toBe('first');
    const second = await take(b);
    expect(text(second)).toBe('second');
    await second.complete();
    // Only "first" is left, and a holds it.
    const started = Date.now();
    await expect(b.take({ timeoutMs: 400 })).resolves.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);

    const waiting = b.take();
    await first.release();
    expect(first.state).toBe('RELEASED');
    expect(first.signal.aborted).toBe(true);
    await expect(first.complete()).rejects.toBeInstanceOf(ClaimLostError);
    const again = await waiting;
    expect(text(again)).toBe('first');
    expect(again!.name).toBe(first.name);
    await again!.complete();
    expect(await childrenOf(path)).toEqual([]);
  });

  it("a consumer's claim goes with its session, and the item to another consumer", async () => {
    const path = fresh('session');
    const producer = await queue(path);
    const doomed = await queue(path);
    const survivor = await queue(path);
    await producer.put('work');
    const item = await take(doomed);
    const waiting = survivor.take();

    await clientOf.get(doomed)!.close();
    expect(item.state).toBe('LOST');
    expect(item.signal.aborted).toBe(true);
    await expect(item.complete()).rejects.toBeInstanceOf(ClaimLostError);

    const redelivered = await waiting;
    expect(redelivered!.name).toBe(item.name);
    await redelivered!.complete();
    expect(await childrenOf(`${path}-claims`)).toEqual([]);
  });

  it('refuses put() with QueueFullError at its maximum depth', async () => {
    const path = fresh('full');
    const producer = await queue(path, 3);
    for (let i = 0; i < 3; i++) await producer.put(`${i}`);
    const refused = producer.put('one too many');
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ depth: 3, maxDepth: 3 });
    expect(await childrenOf(path)).toHaveLength(3);
    const item = await take(producer);
    await item.complete();
    await expect(producer.put('room again')).resolves.toMatch(/item-\d{10}$/);
  });

  it('take() rejects when aborted, and close() ends takes and gives held items back', async () => {
    const path = fresh('close');
    const producer = await queue(path);
    const consumer = await queue(path);
    const controller = new AbortController();
    const aborted = consumer.take({ signal: controller.signal });
    controller.abort(new Error('no more'));
    await expect(aborted).rejects.toThrow('no more');

    await producer.put('kept');
    const item = await take(consumer);
    const pending = consumer.take();
    await consumer.close();
    await consumer.close(); // idempotent
    await expect(pending).rejects.toBeInstanceOf(QueueClosedError);
    expect(item.state).toBe('RELEASED');
    const other = await take(producer);
    expect(other.name).toBe(item.name);
    await other.complete();
  });
});

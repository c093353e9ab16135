/**
 * The queue across real processes, on a private ensemble: three consumer processes share
 * a queue of 300 items, and one of them is SIGKILLed while it holds an item.
 *
 * Proven from the consumers' own reports and from the znodes: every item is completed
 * exactly once; no item is handed to two consumers, except the killed consumer's item,
 * which another consumer gets once the killed session's claim vanishes; each consumer is
 * offered items oldest first; at the end the queue and its claims are empty.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { usePrivateEnsemble, waitFor } from '@zk-lab/test';
import {
  FixtureProcess,
  type Report,
  requireBuiltLibrary,
} from '../barriers/__tests__/fixture-process';
import { DistributedQueue } from './distributed-queue';

const ITEMS = 300;
const QUEUE = '/jobs';

describe('a queue consumed by 3 processes, one SIGKILLed while it holds an item', () => {
  const servers = usePrivateEnsemble({ size: 3 });
  let client: ZkClient | undefined;

  beforeAll(() => {
    requireBuiltLibrary();
  });

  afterEach(async () => {
    await FixtureProcess.killAll();
    await client?.close();
  });

  it('consumes every item once, and the killed consumer’s item once more elsewhere', async () => {
    const connectString = servers.connectString;
    const zk = (client = await ZkClient.connect({ connectString, sessionTimeoutMs: 4_000 }));
    const producer = new DistributedQueue(zk, QUEUE);
    await producer.start();

    // c1 holds its 3rd item and does nothing more until it is killed.
    const consumers = ['c1', 'c2', 'c3'].map((id) =>
      FixtureProcess.spawn(id, 'queue-consumer.cjs', [
        connectString,
        QUEUE,
        id,
        id === 'c1' ? '3' : '0',
      ]),
    );
    const [victim, ...survivors] = consumers as [FixtureProcess, FixtureProcess, FixtureProcess];
    const ready = await Promise.all(consumers.map((c) => c.event('ready')));

    for (let i = 0; i < ITEMS; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => producer.put(JSON.stringify({ job: i + j }))),
      );
    }

    const blocked = await victim.event('blocking');
    const heldName = blocked.item as string;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');

    const completedCount = (): number =>
      consumers.reduce((sum, c) => sum + c.events('completed').length, 0);
    await waitFor(`${ITEMS} completed reports`, () => completedCount() >= ITEMS, 60_000);

    // Every item completed exactly once.
    const completed = consumers.flatMap((c) => c.events('completed'));
    const jobs = completed.map((r) => (JSON.parse(r.data as string) as { job: number }).job);
    expect(jobs.sort((a, b) => a - b)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));

    // Claimed by one consumer each, but the killed consumer's item: by it, then by another.
    const claims = new Map<string, string[]>();
    for (const c of consumers) {
      for (const r of c.events('claimed')) {
        claims.set(r.item as string, [...(claims.get(r.item as string) ?? []), c.name]);
      }
    }
    const twice = [...claims].filter(([, by]) => by.length > 1);
    expect(twice).toHaveLength(1);
    expect(twice[0]![0]).toBe(heldName);
    expect(twice[0]![1][0]).toBe('c1');
    expect(['c2', 'c3']).toContain(twice[0]![1][1]);
    expect(victim.events('completed').map((r) => r.item)).not.toContain(heldName);

    // The held item came back once the killed session expired, within its timeout (+ slack).
    const redelivery = survivors
      .flatMap((c) => c.events('claimed'))
      .find((r) => r.item === heldName) as Report;
    const sessionTimeoutMs = ready[0]!.sessionTimeoutMs as number;
    expect(redelivery.receivedAt - killedAt).toBeLessThan(sessionTimeoutMs + 5_000);

    // Each consumer was offered items oldest first (the redelivered one aside).
    for (const c of consumers) {
      const sequences = c
        .events('claimed')
        .filter((r) => r.item !== heldName || c === victim)
        .map((r) => r.sequence as number);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    }

    // Nothing left behind.
    await zk.sync(QUEUE);
    expect(await zk.getChildren(QUEUE)).toEqual([]);
    expect(await zk.getChildren(`${QUEUE}-claims`)).toEqual([]);

    // The survivors stop cleanly when their stdin ends.
    expect(await Promise.all(survivors.map((c) => c.finish()))).toEqual([0, 0]);
    await producer.close();
  }, 120_000);
});

/**
 * The LeaderLatch leaves no watch behind (review zk-recipes F2): a participant whose node
 * ahead is gone by the time it watches it sets no watch at all, on the servers or in its
 * client, so latch turns do not make either grow. On the shared ensemble.
 */
import { ZkClient } from '@zk-lab/zk-client';
import {
  registeredWatchPaths,
  serverWatchesUnder,
  sharedConnectString,
  testRoot,
  waitFor,
} from '@zk-lab/test';
import { LeaderLatch } from './leader-latch';

const ROUNDS_WITH_THE_RACE = 30;
const CHURN_MS = 3_000;

describe('LeaderLatch watches', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const latches: LeaderLatch[] = [];

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(client);
    return client;
  }

  function latchOn(client: ZkClient, path: string, id: string): LeaderLatch {
    const latch = new LeaderLatch(client, path, { id });
    latches.push(latch);
    return latch;
  }

  afterAll(async () => {
    await Promise.all(latches.map((latch) => latch.close()));
    const admin = clients[0];
    await admin?.deleteRecursive(root);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('after many turns, with the node ahead gone before the watch, the servers and the clients hold no more watches than before', async () => {
    const path = `${root}/watched-election`;
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    await a.ensurePath(path);
    const baseline = await serverWatchesUnder(sharedConnectString(), path);

    // The race made certain, round after round: the leader's node goes right after the
    // listing that still names it, before the follower watches it.
    let raced = 0;
    for (let round = 0; round < ROUNDS_WITH_THE_RACE; round++) {
      const leader = latchOn(a, path, `leader-${round}`);
      await leader.start();
      await leader.await({ timeoutMs: 5_000 });
      const follower = latchOn(b, path, `follower-${round}`);
      const list = b.getChildren.bind(b);
      let listed = false;
      b.getChildren = async (listedPath, options) => {
        const names = await list(listedPath, options);
        if (listedPath === path && !listed && names.length === 2) {
          listed = true;
          raced++;
          await leader.close();
        }
        return names;
      };
      try {
        await follower.start();
        await follower.await({ timeoutMs: 5_000 });
      } finally {
        b.getChildren = list;
      }
      await follower.close();
    }
    expect(raced).toBe(ROUNDS_WITH_THE_RACE);

    // Then plain contention: three participants join, lead and leave as fast as they can.
    let turns = 0;
    const until = Date.now() + CHURN_MS;
    await Promise.all(
      [a, b, c].map(async (client, index) => {
        while (Date.now() < until) {
          const latch = latchOn(client, path, `churn-${index}-${turns}`);
          await latch.start();
          await latch.await({ timeoutMs: 10_000 });
          await latch.close();
          turns++;
        }
      }),
    );
    expect(turns).toBeGreaterThan(10);
    expect(await a.getChildren(path)).toEqual([]);

    await waitFor(
      'the servers back to their watch count before the turns',
      async () => (await serverWatchesUnder(sharedConnectString(), path)) === baseline,
      5_000,
    ).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}: ${await serverWatchesUnder(sharedConnectString(), path)} watches, ${baseline} before`,
      );
    });
    for (const client of [a, b, c]) expect(registeredWatchPaths(client, path)).toEqual([]);
  });
});

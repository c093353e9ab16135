/**
 * DoubleBarrier rounds back to back on the shared ensemble (review F3a): each participant
 * loops enter → leave → enter on one instance and one session, and the one still leaving
 * looks only after the other has left and entered the next round.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { DoubleBarrier } from './double-barrier';

describe('a double barrier used round after round', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const barriers: DoubleBarrier[] = [];
  let admin: ZkClient;

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    return client;
  }

  async function participant(client: ZkClient, path: string, id: string): Promise<DoubleBarrier> {
    const barrier = new DoubleBarrier(client, path, 2, { id });
    barriers.push(barrier);
    await barrier.start();
    return barrier;
  }

  beforeAll(async () => {
    admin = await connect();
    await admin.create(root);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(barriers.splice(0).map((barrier) => barrier.close()));
    await Promise.all(clients.splice(1).map((client) => client.close()));
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it('a leaver that looks only after the lowest re-entered still leaves, round after round', async () => {
    const path = `${root}/loop`;
    const rounds = 5;
    // A deadlock detector, not a pace: a round takes a few round trips.
    const waitMs = 10_000;
    const lowClient = await connect();
    const highClient = await connect();
    const low = await participant(lowClient, path, 'p0');
    const high = await participant(highClient, path, 'p1');

    let lowLeftRounds = 0;
    let lowDone = false;
    let highRound = 0;
    let highRemovedItsNode = false;
    const lateLooks: number[] = [];

    // p1 is never the lowest: in leave() it deletes its node, then looks at p0's. That look
    // is held until p0 has left this round and made its node for the next (or is done), and
    // p1's session has seen that node: the review's interleaving, every round.
    const remove = highClient.delete.bind(highClient);
    jest.spyOn(highClient, 'delete').mockImplementation(async (target, version) => {
      await remove(target, version);
      if (target === `${path}/p1`) highRemovedItsNode = true;
    });
    const look = highClient.exists.bind(highClient);
    jest.spyOn(highClient, 'exists').mockImplementation(async (target, options) => {
      if (target === `${path}/p0` && highRemovedItsNode && high.phase === 'LEAVING') {
        const round = highRound;
        await waitFor(
          `p0 to leave round ${round} and enter the next`,
          async () => lowDone || (lowLeftRounds > round && (await look(target)) !== null),
        );
        lateLooks.push(round);
      }
      return look(target, options);
    });

    const lowLoop = async (): Promise<boolean[]> => {
      const results: boolean[] = [];
      try {
        for (let round = 0; round < rounds; round++) {
          const entered = await low.enter({ timeoutMs: waitMs });
          results.push(entered);
          if (!entered) break;
          const left = await low.leave({ timeoutMs: waitMs });
          results.push(left);
          if (!left) break;
          lowLeftRounds++;
        }
      } finally {
        lowDone = true;
      }
      return results;
    };
    const highLoop = async (): Promise<boolean[]> => {
      const results: boolean[] = [];
      for (let round = 0; round < rounds; round++) {
        highRound = round;
        highRemovedItsNode = false;
        const entered = await high.enter({ timeoutMs: waitMs });
        results.push(entered);
        if (!entered) break;
        const left = await high.leave({ timeoutMs: waitMs });
        results.push(left);
        if (!left) break;
      }
      return results;
    };

    const [lowResults, highResults] = await Promise.all([lowLoop(), highLoop()]);
    const everyWait = Array<boolean>(2 * rounds).fill(true);
    expect({ p0: lowResults, p1: highResults }).toEqual({ p0: everyWait, p1: everyWait });
    // Each round, p1 did look only after p0 had entered the next one (or was done).
    expect(lateLooks).toEqual([0, 1, 2, 3, 4]);
    expect([low.phase, high.phase]).toEqual(['OUTSIDE', 'OUTSIDE']);
    await admin.sync(path);
    expect(await admin.getChildren(path)).toEqual([]);
  });
});

/**
 * DoubleBarrier rounds back to back on the shared ensemble (review F3a): a participant of
 * a round that is over neither waits on nor ends the next round, whatever it is slow to do.
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

  async function participant(
    client: ZkClient,
    path: string,
    id: string,
    memberCount = 2,
  ): Promise<DoubleBarrier> {
    const barrier = new DoubleBarrier(client, path, memberCount, { id });
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

  it('a round whose lowest went away is ended once, and never the next round', async () => {
    const path = `${root}/abandoned`;
    const readyPath = `${path}/ready`;
    const [c0, c1, c2] = [await connect(), await connect(), await connect()];
    const p0 = await participant(c0, path, 'p0', 3);
    const p1 = await participant(c1, path, 'p1', 3);
    const p2 = await participant(c2, path, 'p2', 3);
    await expect(Promise.all([p0.enter(), p1.enter(), p2.enter()])).resolves.toEqual([
      true,
      true,
      true,
    ]);
    const readyOf = async (): Promise<bigint | null> => {
      await admin.sync(path);
      return (await admin.exists(readyPath))?.czxid ?? null;
    };
    const firstRound = await readyOf();
    expect(firstRound).not.toBeNull();

    // Both leavers that find the round abandoned try to end it: p1's write waits for p2 to
    // be at its own, and p2's waits until a next round has opened.
    let p2AtItsWrite = false;
    let secondRound: bigint | null = null;
    const nextRoundOpen = (): Promise<void> =>
      waitFor('a next round to open', async () => {
        const round = await readyOf();
        if (round !== null && round !== firstRound) secondRound = round;
        return secondRound !== null;
      });
    holdRoundEndingWrites(c1, p1, readyPath, () => waitFor('p2 at its write', () => p2AtItsWrite));
    holdRoundEndingWrites(c2, p2, readyPath, async () => {
      p2AtItsWrite = true;
      await nextRoundOpen();
    });

    // p1 and p2 leave; p0, the lowest, goes away without leaving.
    const leaving = [p1.leave(), p2.leave()];
    await waitFor('p1 and p2 gone', async () => {
      await admin.sync(path);
      return (await admin.getChildren(path)).sort().join() === 'p0,ready';
    });
    await p0.close();
    await waitFor('the abandoned round ended', async () => (await readyOf()) === null);

    const next = await Promise.all(
      ['q0', 'q1', 'q2'].map(async (id) => participant(await connect(), path, id, 3)),
    );
    await expect(Promise.all(next.map((q) => q.enter()))).resolves.toEqual([true, true, true]);
    await expect(Promise.all(leaving)).resolves.toEqual([true, true]);

    // The next round (p2 saw it open) is still open while its members are inside.
    expect(secondRound).not.toBeNull();
    expect({ ready: await readyOf() }).toEqual({ ready: secondRound });
    await expect(Promise.all(next.map((q) => q.leave({ timeoutMs: 10_000 })))).resolves.toEqual([
      true,
      true,
      true,
    ]);
    await admin.sync(path);
    expect(await admin.getChildren(path)).toEqual([]);
  });
});

/**
 * Holds each write of `barrier`'s client that may end a round (a delete of `ready`, or any
 * transaction) while it is leaving, until `until()` resolves; the write is then sent.
 */
function holdRoundEndingWrites(
  client: ZkClient,
  barrier: DoubleBarrier,
  readyPath: string,
  until: () => Promise<void>,
): void {
  const remove = client.delete.bind(client);
  jest.spyOn(client, 'delete').mockImplementation(async (target, version) => {
    if (target === readyPath && barrier.phase === 'LEAVING') await until();
    return remove(target, version);
  });
  const transaction = client.multi.bind(client);
  jest.spyOn(client, 'multi').mockImplementation(() => {
    const made = transaction();
    const commit = made.commit.bind(made);
    made.commit = async () => {
      if (barrier.phase === 'LEAVING') await until();
      return commit();
    };
    return made;
  });
}

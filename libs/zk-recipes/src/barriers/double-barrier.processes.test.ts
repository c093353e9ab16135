/**
 * A DoubleBarrier of 3 real processes on the shared ensemble: nobody enters before the
 * third process is there, and nobody's leave() returns before the last one has left.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { FixtureProcess, requireBuiltLibrary } from './__tests__/fixture-process';

describe('a double barrier of 3 processes', () => {
  const root = testRoot();
  const path = `${root}/rendezvous`;
  let admin: ZkClient;

  /** The participant nodes, as the leader has them (the writes were other sessions'). */
  async function present(): Promise<string[]> {
    await admin.sync(path).catch(() => undefined);
    const children = await admin.getChildren(path).catch(() => []);
    return children.filter((name) => name !== 'ready').sort();
  }

  beforeAll(async () => {
    requireBuiltLibrary();
    admin = await ZkClient.connect({ connectString: sharedConnectString() });
    await admin.create(root);
  });

  afterEach(async () => {
    await FixtureProcess.killAll();
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await admin.close();
  });

  it('enters only when all 3 are there, and leaves only when all 3 have left', async () => {
    const spawn = (id: string): FixtureProcess =>
      FixtureProcess.spawn(id, 'double-barrier-participant.cjs', [
        sharedConnectString(),
        path,
        '3',
        id,
      ]);
    const first = [spawn('p1'), spawn('p2')];
    await Promise.all(first.map((p) => p.event('entering')));
    await waitFor('2 participant nodes', async () => (await present()).length === 2);
    await admin.sync(path);
    expect(await admin.exists(`${path}/ready`)).toBeNull();
    expect(first.flatMap((p) => p.events('entered'))).toEqual([]);

    const thirdStartedAt = Date.now();
    const all = [...first, spawn('p3')];
    const entered = await Promise.all(all.map((p) => p.event('entered')));
    for (const report of entered) {
      expect(report.entered).toBe(true);
      expect(report.participants).toEqual(['p1', 'p2', 'p3']);
      expect(report.at).toBeGreaterThanOrEqual(thirdStartedAt);
    }

    // p1 and p2 leave; at least one of them is not the lowest and removes its node at once.
    for (const p of first) p.send('leave');
    await Promise.all(first.map((p) => p.event('leaving')));
    await waitFor('a node of p1 or p2 gone', async () => (await present()).length < 3);
    expect(first.flatMap((p) => p.events('left'))).toEqual([]);

    const lastLeaveAt = Date.now();
    all[2]!.send('leave');
    const left = await Promise.all(all.map((p) => p.event('left')));
    for (const report of left) {
      expect(report.left).toBe(true);
      expect(report.participants).toEqual([]);
      expect(report.at).toBeGreaterThanOrEqual(lastLeaveAt);
    }
    expect(await Promise.all(all.map((p) => p.exited))).toEqual([0, 0, 0]);
    await admin.sync(path);
    expect(await admin.getChildren(path)).toEqual([]);
  });
});

// ZooKeeper servers killed under the system while jobs flow: the ensemble leader, then
// another server. The apps ride through on the surviving majority and every job still ends with
// exactly one result.
import { PATHS } from '@zk-lab/lab-core';
import {
  usePrivateEnsemble,
  useLabSystem,
  violations,
  waitFor,
  waitForSettled,
} from '@zk-lab/test';

const JOBS = 300;

describe('ZooKeeper servers killed while jobs flow', () => {
  const zk = usePrivateEnsemble();
  const system = useLabSystem({ workerCapacity: 4 }, () => zk.connectString);

  afterEach(async () => {
    await zk.ensemble.restoreAll();
  });

  it('lose no job: each ends with exactly one result', async () => {
    const masters = [system.startMaster('m1'), system.startMaster('m2')];
    ['w1', 'w2', 'w3'].forEach((id) => system.startWorker(id));
    await system.leader(masters);
    await system.waitForWorkers(['w1', 'w2', 'w3']);
    await system.produce(['--type', 'sleep', '--payload', '{"ms":40}', '--count', String(JOBS)]);
    const results = async () => (await system.observer.exists(PATHS.results))?.numChildren ?? 0;

    await waitFor('jobs flowing', async () => (await results()) >= 50);
    const leader = (await zk.ensemble.leaderId())!;
    await zk.ensemble.killNode(leader);
    await zk.ensemble.waitForQuorum();
    const before = await results();
    await waitFor(
      'jobs flowing again after the ZooKeeper leader died',
      async () => (await results()) > before + 20,
      30_000,
    );

    const another = zk.ensemble.nodes.map((n) => n.id).find((id) => id !== leader)!;
    await zk.ensemble.startNode(leader);
    await zk.ensemble.killNode(another);
    await zk.ensemble.waitForQuorum();

    const ledger = await waitForSettled(system.observer, JOBS, 90_000);
    expect(violations(ledger, JOBS)).toEqual([]);
    expect(ledger.dead.size).toBe(0);
    expect(masters.every((m) => m.running)).toBe(true);
  }, 150_000);
});

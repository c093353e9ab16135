// 2 masters, 3 workers, 1,000 jobs: every job ends with exactly one result, read from the
// znodes, and the sleep jobs really run side by side on different workers.
import { readLedger, useLabSystem, violations, waitForSettled } from '@zk-lab/test';

const JOBS = 1_000;

describe('the master-worker system under a thousand jobs', () => {
  const system = useLabSystem({ workerCapacity: 8, maxAttempts: 3 });

  it('gives every job exactly one result, with jobs overlapping across workers', async () => {
    const masters = [system.startMaster('m1'), system.startMaster('m2')];
    const workers = ['w1', 'w2', 'w3'].map((id) => system.startWorker(id));
    await system.leader(masters);
    await system.waitForWorkers(['w1', 'w2', 'w3']);

    await system.produce(['--type', 'sleep', '--payload', '{"ms":25}', '--count', String(JOBS)]);
    const ledger = await waitForSettled(system.observer, JOBS, 120_000);

    expect(violations(ledger, JOBS)).toEqual([]);
    expect(ledger.dead.size).toBe(0);
    const results = [...ledger.results.values()];
    expect(new Set(results.map((r) => r.worker))).toEqual(new Set(['w1', 'w2', 'w3']));
    // Side by side: some job on one worker ran while a job on another worker ran.
    const overlapping = results.some((a) =>
      results.some(
        (b) => a.worker !== b.worker && a.started < b.finished && b.started < a.finished,
      ),
    );
    expect(overlapping).toBe(true);
    // Nothing failed, so every job took one attempt, under one epoch.
    expect(results.every((r) => r.attempt === 1 && r.failures.length === 0)).toBe(true);
    expect(workers.every((w) => w.running)).toBe(true);
    // Every task was found through a watch event, none only by the backstop rescan.
    const missed = workers.flatMap((w) => w.logs).filter((l) => l.msg.startsWith('the backstop'));
    expect(missed).toEqual([]);
    expect((await readLedger(system.observer)).results.size).toBe(JOBS);
  }, 180_000);
});

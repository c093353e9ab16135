// A leader killed while jobs flow: the other master leads within the session timeout + 1 s
// (SIGKILL) or under a second (SIGTERM closes the session at once), and every job still
// ends with exactly one result.
import {
  APP_SESSION_TIMEOUT_MS,
  type AppProcess,
  useLabSystem,
  violations,
  waitFor,
  waitForSettled,
} from '@zk-lab/test';
import { PATHS } from '@zk-lab/lab-core';

const JOBS = 400;

const cases: [NodeJS.Signals, number][] = [
  ['SIGKILL', APP_SESSION_TIMEOUT_MS + 1_000],
  ['SIGTERM', 1_000],
];

describe.each(cases)('a leader stopped by %s while jobs flow', (signal, boundMs) => {
  const system = useLabSystem({ workerCapacity: 4 });

  it(`is replaced within ${boundMs} ms and every job ends with exactly one result`, async () => {
    const masters = [system.startMaster('m1'), system.startMaster('m2')];
    ['w1', 'w2', 'w3'].forEach((id) => system.startWorker(id));
    const leader = await system.leader(masters);
    const follower: AppProcess = masters.find((m) => m !== leader)!;
    await system.waitForWorkers(['w1', 'w2', 'w3']);

    await system.produce(['--type', 'sleep', '--payload', '{"ms":30}', '--count', String(JOBS)]);
    await waitFor(
      'jobs flowing',
      async () => ((await system.observer.exists(PATHS.results))?.numChildren ?? 0) >= 50,
    );
    const stoppedAt = Date.now();
    leader.signal(signal);
    const elected = await follower.waitForLog(
      'leadership',
      (line) => line.msg.startsWith('elected leader'),
      boundMs + 5_000,
    );
    const takeoverMs = (elected.time as number) - stoppedAt;
    expect(takeoverMs).toBeLessThan(boundMs);
    if (signal === 'SIGTERM') expect((await leader.exited).code).toBe(0);

    const ledger = await waitForSettled(system.observer, JOBS, 120_000);
    expect(violations(ledger, JOBS)).toEqual([]);
    const epochs = new Set([...ledger.results.values()].map((r) => r.epoch));
    expect(epochs.size).toBeGreaterThanOrEqual(2);
  }, 180_000);
});

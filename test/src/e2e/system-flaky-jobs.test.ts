// A stream of flaky jobs: each ends either done or dead after max attempts, none lost.
import { useLabSystem, violations, waitForSettled } from '@zk-lab/test';

describe('a stream of flaky jobs', () => {
  const system = useLabSystem({ workerCapacity: 4, maxAttempts: 3 });

  it('ends with every job done or dead after 3 attempts, none lost', async () => {
    system.startMaster('m1');
    system.startMaster('m2');
    ['w1', 'w2'].forEach((id) => system.startWorker(id));
    await system.waitForWorkers(['w1', 'w2']);
    const produced = await system.produce([
      '--type',
      'flaky',
      '--payload',
      '{"failureRate":0.6,"ms":5}',
      '--rate',
      '50',
      '--duration',
      '3',
      '--json',
    ]);
    const count = (JSON.parse(produced) as { enqueued: number }).enqueued;
    expect(count).toBeGreaterThan(100);

    const ledger = await waitForSettled(system.observer, count, 90_000);
    expect(violations(ledger, count)).toEqual([]);
    // With a 60% failure rate, both ends are reached.
    expect(ledger.dead.size).toBeGreaterThan(0);
    expect(ledger.results.size).toBeGreaterThan(0);
    for (const record of ledger.dead.values()) {
      expect(record.job?.failures.map((f) => f.attempt)).toEqual([1, 2, 3]);
      expect(record.reason).toMatch(/^failed 3 attempts \(max 3\)/);
    }
    for (const result of ledger.results.values()) {
      expect(result.failures.length).toBe(result.attempt - 1);
    }
  }, 150_000);
});

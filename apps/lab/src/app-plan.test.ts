import { DEFAULT_ROOT } from '@zk-lab/lab-core';
import { longestProducerRunS, planApps, type AppPlan } from './app-plan';

// The producer refuses a run of more than 1,000,000 jobs or 86,400 s (apps/producer/src/args.ts):
// every run the lab plans must stay inside both, or the producer exits at once, again and again.
function producerRun(plan: AppPlan): { rate: number; seconds: number } {
  const producer = planApps('/tmp/zk-lab-plan', plan, () => '127.0.0.1:1', [1, 2, 3]).find(
    (app) => app.kind === 'producer',
  );
  if (producer === undefined) throw new Error('no producer planned');
  const flag = (name: string) => Number(producer.args[producer.args.indexOf(name) + 1]);
  return { rate: flag('--rate'), seconds: flag('--duration') };
}

const base: AppPlan = {
  masters: 1,
  workers: 2,
  rate: 20,
  job: { type: 'sleep', payload: { ms: 10 } },
  root: DEFAULT_ROOT,
};

describe('the producer runs the lab plans', () => {
  it.each([0.5, 20, 500, 50_000])('stay inside the producer bounds at %p jobs/s', (rate) => {
    for (const producerRunS of [undefined, longestProducerRunS(rate), 10 ** 9]) {
      const run = producerRun({ ...base, rate, producerRunS });
      expect(run.seconds).toBeGreaterThan(0);
      expect(run.seconds).toBeLessThanOrEqual(86_400);
      expect(Math.ceil(run.rate * run.seconds)).toBeLessThanOrEqual(1_000_000);
    }
  });

  it('the chaos lab streams for the longest run the producer takes: 50,000 s at 20 jobs/s', () => {
    expect(longestProducerRunS(20)).toBe(50_000);
    expect(longestProducerRunS(1)).toBe(86_400);
    expect(producerRun({ ...base, producerRunS: longestProducerRunS(20) }).seconds).toBe(50_000);
  });

  it('a lab up run is about 2,000 jobs, from 60 s to an hour', () => {
    expect(producerRun({ ...base, rate: 20 }).seconds).toBe(100);
    expect(producerRun({ ...base, rate: 1000 }).seconds).toBe(60);
    expect(producerRun({ ...base, rate: 0.1 }).seconds).toBe(3_600);
  });
});

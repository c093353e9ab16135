// Workers that die or freeze while holding tasks: their tasks go back to the queue and end
// elsewhere (or on the same worker once it is back), each with exactly one result.
import { PATHS } from '@zk-lab/lab-core';
import {
  APP_SESSION_TIMEOUT_MS,
  useLabSystem,
  violations,
  waitFor,
  waitForSettled,
} from '@zk-lab/test';

async function tasksOf(
  system: { observer: { getChildren(p: string): Promise<string[]> } },
  id: string,
) {
  return system.observer.getChildren(`${PATHS.assign}/${id}`).catch((): string[] => []);
}

describe('a worker SIGKILLed while it holds tasks', () => {
  const system = useLabSystem({ workerCapacity: 3 });

  it('has its tasks reassigned, and they finish', async () => {
    system.startMaster('m1');
    const victim = system.startWorker('victim');
    system.startWorker('w2');
    await system.waitForWorkers(['victim', 'w2']);
    await system.produce(['--type', 'sleep', '--payload', '{"ms":1500}', '--count', '12']);
    let held: string[] = [];
    await waitFor('the victim to hold tasks', async () => {
      held = await tasksOf(system, 'victim');
      return held.length > 0;
    });
    victim.signal('SIGKILL');

    const ledger = await waitForSettled(system.observer, 12, 60_000);
    expect(violations(ledger, 12)).toEqual([]);
    for (const key of held) {
      const result = ledger.results.get(key);
      // A vanished worker is a hand-back, not a failed attempt.
      expect(result).toMatchObject({ worker: 'w2', attempt: 1, failures: [] });
      expect(result?.handBacks).toEqual([
        expect.objectContaining({ worker: 'victim', reason: 'worker victim vanished' }),
      ]);
    }
  }, 90_000);
});

describe('a worker SIGSTOPped past its session timeout, then SIGCONTed', () => {
  const system = useLabSystem({ workerCapacity: 3 });

  it('registers again, and nothing is lost', async () => {
    system.startMaster('m1');
    const sleeper = system.startWorker('sleeper');
    system.startWorker('w2');
    await system.waitForWorkers(['sleeper', 'w2']);
    const firstOwner = (await system.observer.exists(`${PATHS.workers}/sleeper`))!.ephemeralOwner;
    await system.produce(['--type', 'sleep', '--payload', '{"ms":1000}', '--count', '12']);
    await waitFor(
      'the sleeper to hold tasks',
      async () => (await tasksOf(system, 'sleeper')).length > 0,
    );

    sleeper.signal('SIGSTOP');
    await waitFor(
      'the sleeper’s registration to expire',
      async () => (await system.observer.exists(`${PATHS.workers}/sleeper`)) === null,
      APP_SESSION_TIMEOUT_MS * 4,
    );
    sleeper.signal('SIGCONT');
    await waitFor(
      'the sleeper to register again with a new session',
      async () => {
        const stat = await system.observer.exists(`${PATHS.workers}/sleeper`);
        return stat !== null && stat.ephemeralOwner !== firstOwner;
      },
      20_000,
    );
    await waitFor(
      'the sleeper to be ready',
      async () => (await sleeper.get('/ready')).status === 200,
    );

    const ledger = await waitForSettled(system.observer, 12, 60_000);
    expect(violations(ledger, 12)).toEqual([]);
    expect(sleeper.running).toBe(true);
  }, 90_000);
});

// The execution log, judged from outside against the real master: every job ends once, it
// ran at most 1 + failures + hand-backs times, and its runs' fencing tokens strictly grow,
// with a worker SIGKILLed mid-stream and another one replaced by a process of the same id.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATHS } from '@zk-lab/lab-core';
import { useLabSystem, violations, waitFor, waitForSettled } from '@zk-lab/test';

interface Execution {
  jobId: string;
  token: string;
}

describe('every execution is logged with a token that grows per job', () => {
  const system = useLabSystem({ workerCapacity: 3 });
  const log = join(mkdtempSync(join(tmpdir(), 'zk-lab-tokens-')), 'executions.jsonl');

  it('a SIGKILLed worker and a same-id replacement: runs within budget, tokens increasing', async () => {
    system.startMaster('m1');
    const victim = system.startWorker('victim', ['--execution-log', log]);
    const twin = system.startWorker('twin', ['--execution-log', log, '--session-timeout', '1000']);
    system.startWorker('w3', ['--execution-log', log]);
    await system.waitForWorkers(['victim', 'twin', 'w3']);
    await system.produce(['--type', 'sleep', '--payload', '{"ms":800}', '--count', '24']);
    const holds = async (id: string) =>
      (await system.observer.getChildren(`${PATHS.assign}/${id}`).catch(() => [])).length > 0;
    await waitFor(
      'victim and twin to hold tasks',
      async () => (await holds('victim')) && (await holds('twin')),
    );
    victim.signal('SIGKILL');
    // The twin is frozen past its session and replaced by a new process with its id.
    twin.signal('SIGSTOP');
    try {
      await waitFor(
        'the frozen twin’s registration to expire',
        async () => (await system.observer.exists(`${PATHS.workers}/twin`)) === null,
        20_000,
      );
      system.startWorker('twin', ['--execution-log', log]);
      const ledger = await waitForSettled(system.observer, 24, 90_000);
      expect(violations(ledger, 24)).toEqual([]);

      const runs = new Map<string, bigint[]>();
      for (const line of readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')) {
        const run = JSON.parse(line) as Execution;
        runs.set(run.jobId, [...(runs.get(run.jobId) ?? []), BigInt(run.token)]);
      }
      const ended = [
        ...[...ledger.results.values()].map((r) => ({
          id: r.id,
          extra: r.failures.length + r.handBacks.length,
        })),
        ...[...ledger.dead.values()].map((d) => ({
          id: d.job?.id ?? '',
          extra: (d.job?.failures.length ?? 0) + (d.job?.handBacks.length ?? 0),
        })),
      ];
      expect(ended).toHaveLength(24);
      for (const { id, extra } of ended) {
        const tokens = runs.get(id) ?? [];
        expect(tokens.length).toBeGreaterThanOrEqual(1);
        expect(tokens.length).toBeLessThanOrEqual(1 + extra);
        for (let i = 1; i < tokens.length; i++) expect(tokens[i]! > tokens[i - 1]!).toBe(true);
      }
      // Something was handed back: the victim's tasks at least.
      expect(ended.some((e) => e.extra > 0)).toBe(true);
    } finally {
      twin.signal('SIGCONT');
    }
  }, 150_000);
});

import type { ChaosReport } from './runner';
import { formatSummary } from './summary';
import type { Violation } from './verdict';

function report(violations: Violation[]): ChaosReport {
  return {
    seed: 3,
    durationS: 600,
    rounds: null,
    startedAt: '2026-12-06T03:00:00.000Z',
    elapsedMs: 620_000,
    actions: [],
    healTimes: {},
    restarts: [],
    drainMs: 2108,
    verdict: {
      ok: violations.length === 0,
      violations,
      counts: {
        created: 11878,
        indeterminate: 1,
        indeterminateCreated: 1,
        results: 11879,
        dead: 0,
        executions: 11991,
        reExecutions: 112,
        failures: 0,
        handBacks: 126,
        canary: { acked: 4709, indeterminate: 34, lost: 0 },
      },
    },
    notHealed: 0,
    ok: violations.length === 0,
  };
}

const diverged: Violation = {
  kind: 'replica-divergence',
  detail:
    "ZooKeeper's servers disagree on /zk-lab-chaos-canary-3/c-0000003086 after a sync: " +
    'zk1: present; zk2: absent; zk3: absent',
};

describe('the chaos summary', () => {
  it('says PASS, with the canary’s counts, when nothing was violated', () => {
    const text = formatSummary(report([]));
    expect(text).toContain(
      'ZooKeeper itself (the canary): 4709 creates acknowledged, 0 of them lost; 34 of unknown outcome',
    );
    expect(text.split('\n').at(-1)).toBe('verdict: PASS');
  });

  it('names ZooKeeper in the FAIL when every violation is ZooKeeper’s own', () => {
    const last = formatSummary(report([diverged]))
      .split('\n')
      .at(-1);
    expect(last).toBe(
      "verdict: FAIL (ZooKeeper's fault: its servers diverged or it lost a write; " +
        "the apps' guarantees held on the leader's records)",
    );
  });

  it('says a plain FAIL when an app broke a guarantee too', () => {
    const lost: Violation = { kind: 'lost', jobId: 'a', detail: 'created, but has no result' };
    expect(
      formatSummary(report([diverged, lost]))
        .split('\n')
        .at(-1),
    ).toBe('verdict: FAIL');
  });
});

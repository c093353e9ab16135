import type { Evidence, ExecutionLine, Settlement } from './evidence';
import { judge } from './verdict';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

function run(jobId: string, token: string, workerId = 'w1', attempt = 1): ExecutionLine {
  return { jobId, key: 'job-0000000001', attempt, workerId, session: '0x1', token, at: 0 };
}

function result(jobId: string, key: string, failures = 0, handBacks = 0): Settlement {
  return { kind: 'result', key, jobId, failures, handBacks };
}

/** Two jobs, each created, run once and recorded once: what a healthy run leaves. */
function healthy(): Evidence {
  return {
    produced: [
      { jobId: A },
      { jobId: A, created: true },
      { jobId: B },
      { jobId: B, created: true },
    ],
    executions: [run(A, '100'), run(B, '101')],
    settlements: [result(A, 'job-0000000001'), result(B, 'job-0000000002')],
    queued: [],
    assigned: [],
    unreadable: [],
    replicas: [],
    canary: null,
  };
}

describe('the chaos verdict', () => {
  it('passes a run in which every job ended once and ran once', () => {
    const verdict = judge(healthy(), { jobs: 2, failure: null });
    expect(verdict.violations).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.counts).toMatchObject({
      created: 2,
      results: 2,
      executions: 2,
      reExecutions: 0,
    });
  });

  it('fails on a planted duplicate result', () => {
    const evidence = healthy();
    evidence.settlements.push(result(A, 'job-0000000009'));
    const verdict = judge(evidence, null);
    expect(verdict.ok).toBe(false);
    expect(verdict.violations).toEqual([expect.objectContaining({ kind: 'duplicate', jobId: A })]);
    expect(verdict.violations[0]!.detail).toContain('/results/job-0000000009');
  });

  it('fails on a result beside a dead record of the same job', () => {
    const evidence = healthy();
    evidence.settlements.push({
      kind: 'dead',
      key: 'job-0000000003',
      jobId: B,
      failures: 3,
      handBacks: 0,
    });
    expect(judge(evidence, null).violations.map((v) => v.kind)).toEqual(['duplicate']);
  });

  it('fails on a planted lost job: confirmed by the server, recorded nowhere', () => {
    const evidence = healthy();
    evidence.settlements = evidence.settlements.filter((s) => s.jobId !== B);
    const verdict = judge(evidence, null);
    expect(verdict.violations).toEqual([expect.objectContaining({ kind: 'lost', jobId: B })]);
  });

  it('accepts an unconfirmed create that never happened, and one that happened once', () => {
    const evidence = healthy();
    const C = '33333333-3333-4333-8333-333333333333';
    const D = '44444444-4444-4444-8444-444444444444';
    evidence.produced.push({ jobId: C }, { jobId: D });
    evidence.settlements.push(result(D, 'job-0000000004'));
    evidence.executions.push(run(D, '102'));
    const verdict = judge(evidence, null);
    expect(verdict.violations).toEqual([]);
    expect(verdict.counts).toMatchObject({ indeterminate: 2, indeterminateCreated: 1 });
  });

  it('fails on a planted extra execution', () => {
    const evidence = healthy();
    evidence.executions.push(run(A, '105', 'w2'));
    const verdict = judge(evidence, null);
    expect(verdict.violations).toEqual([
      expect.objectContaining({ kind: 'extra-execution', jobId: A }),
    ]);
    expect(verdict.violations[0]!.detail).toContain('ran 2 times, allowed 1');
  });

  it('allows one more run per recorded failure or hand-back', () => {
    const evidence = healthy();
    evidence.settlements[0] = result(A, 'job-0000000001', 1, 1);
    evidence.executions.push(run(A, '200', 'w2', 2), run(A, '300', 'w3', 2));
    const verdict = judge(evidence, null);
    expect(verdict.violations).toEqual([]);
    expect(verdict.counts).toMatchObject({ reExecutions: 2, failures: 1, handBacks: 1 });
  });

  it('fails when a later execution of a job carries a token that is not greater', () => {
    const evidence = healthy();
    evidence.settlements[0] = result(A, 'job-0000000001', 0, 1);
    evidence.executions.push(run(A, '100', 'w2'));
    expect(judge(evidence, null).violations).toEqual([
      expect.objectContaining({ kind: 'token-order', jobId: A }),
    ]);
  });

  it('compares tokens as integers, not as strings', () => {
    const evidence = healthy();
    evidence.settlements[0] = result(A, 'job-0000000001', 0, 1);
    evidence.executions = [run(A, '99'), run(A, '100'), run(B, '101')];
    expect(judge(evidence, null).violations).toEqual([]);
  });

  it('fails on records and executions of jobs the producer never recorded', () => {
    const evidence = healthy();
    const X = '55555555-5555-4555-8555-555555555555';
    evidence.settlements.push(result(X, 'job-0000000007'));
    evidence.executions.push(run(X, '400'));
    expect(judge(evidence, null).violations.map((v) => v.kind)).toEqual([
      'unrecorded',
      'unrecorded',
    ]);
  });

  it('fails on what is left in the queue or assigned', () => {
    const evidence = healthy();
    evidence.queued.push('job-0000000010');
    evidence.assigned.push('w1/job-0000000011');
    expect(judge(evidence, null).violations.map((v) => v.detail)).toEqual([
      'still queued: /queue/job-0000000010',
      'still assigned: /assign/w1/job-0000000011',
    ]);
  });

  it('fails when the fresh batch after the last heal did not complete', () => {
    const verdict = judge(healthy(), { jobs: 20, failure: '3 of 20 jobs unfinished after 60 s' });
    expect(verdict.violations).toEqual([expect.objectContaining({ kind: 'fresh-batch' })]);
  });

  it('fails, naming ZooKeeper, on a canary create that was acknowledged and is gone', () => {
    const evidence = healthy();
    evidence.canary = {
      path: '/zk-lab-chaos-canary-1',
      acked: ['c-0000000001', 'c-0000000002', 'c-0000000004'],
      indeterminate: 1,
      // c-0000000003 failed and exists anyway: allowed. c-0000000002 is gone.
      present: ['c-0000000001', 'c-0000000003', 'c-0000000004'],
    };
    const verdict = judge(evidence, null);
    expect(verdict.ok).toBe(false);
    expect(verdict.violations).toEqual([
      {
        kind: 'zookeeper-lost-write',
        detail:
          'ZooKeeper acknowledged 1 create(s) of the canary that are gone: ' +
          '/zk-lab-chaos-canary-1/c-0000000002',
      },
    ]);
    expect(verdict.counts.canary).toEqual({ acked: 3, indeterminate: 1, lost: 1 });
  });

  it('names at most 20 diverged paths, then counts the rest', () => {
    const evidence = healthy();
    evidence.replicas = Array.from({ length: 23 }, (_, i) => ({
      path: `/r/results/job-${i}`,
      held: { zk1: 'present', zk2: 'absent' },
    }));
    const kinds = judge(evidence, null).violations.map((v) => v.kind);
    expect(kinds).toEqual(Array(21).fill('replica-divergence'));
    expect(judge(evidence, null).violations[20]!.detail).toBe(
      'and on 3 more path(s) (the report lists 20)',
    );
  });
});

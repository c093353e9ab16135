// The ledger check the end-to-end tests rely on must catch each way a job can go wrong.
import type { DeadJob, JobResult } from '@zk-lab/lab-core';
import { type Ledger, violations } from './job-ledger';

const result = (id: string): JobResult => ({
  id,
  key: 'k',
  type: 'echo',
  outcome: 'succeeded',
  output: null,
  worker: 'w1',
  attempt: 1,
  epoch: 1,
  created: 0,
  assigned: 0,
  started: 0,
  finished: 0,
  failures: [],
  handBacks: [],
});
const dead = (id: string): DeadJob => ({
  key: 'k',
  reason: 'r',
  job: { id, type: 'fail', payload: {}, created: 0, attempt: 4, failures: [], handBacks: [] },
  raw: null,
  epoch: 1,
  at: 0,
});
const ledger = (parts: Partial<Ledger>): Ledger => ({
  results: new Map(),
  dead: new Map(),
  queued: [],
  assigned: [],
  ...parts,
});

describe('violations', () => {
  it('holds for jobs that each ended once', () => {
    const settled = ledger({
      results: new Map([['job-1', result('a')]]),
      dead: new Map([['job-2', dead('b')]]),
    });
    expect(violations(settled, 2)).toEqual([]);
  });

  it('reports lost, doubled, doubly settled and unfinished jobs', () => {
    expect(violations(ledger({ results: new Map([['job-1', result('a')]]) }), 2)).toEqual([
      '1 jobs settled, 2 produced',
    ]);
    expect(
      violations(
        ledger({
          results: new Map([
            ['job-1', result('a')],
            ['job-2', result('a')],
          ]),
        }),
        2,
      ),
    ).toEqual(['job a settled twice: job-1 and job-2']);
    expect(
      violations(
        ledger({
          results: new Map([['job-1', result('a')]]),
          dead: new Map([['job-1', dead('a')]]),
        }),
        1,
      ),
    ).toContain('job-1 has a result and a dead record');
    expect(
      violations(
        ledger({
          results: new Map([['job-1', result('a')]]),
          queued: ['job-2'],
          assigned: ['w/job-3'],
        }),
        1,
      ),
    ).toEqual(['still queued: job-2…', 'still assigned: w/job-3…']);
  });
});

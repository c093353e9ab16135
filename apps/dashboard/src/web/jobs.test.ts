import type { TreeChange } from '../protocol';
import { JobTracker, jobStepOf } from './jobs';

const at = (path: string, kind: TreeChange['kind'] = 'created'): TreeChange => ({
  path,
  kind,
  seq: 0,
  node: null,
});

describe('the jobs derived from tree changes', () => {
  it('reads a job step from a path under the root', () => {
    expect(jobStepOf('/zk-lab', '/zk-lab/queue/job-0000000007')).toEqual({
      key: 'job-0000000007',
      state: 'queued',
      worker: null,
    });
    expect(
      jobStepOf('/zk-lab', '/zk-lab/queue/_c_0f8fad5b-d9cb-469f-a165-70867728950e-job-0000000007'),
    ).toMatchObject({ key: 'job-0000000007' });
    expect(jobStepOf('/zk-lab', '/zk-lab/assign/w2/job-0000000007')).toEqual({
      key: 'job-0000000007',
      state: 'assigned',
      worker: 'w2',
    });
    expect(jobStepOf('/zk-lab', '/zk-lab/results/job-0000000007')?.state).toBe('done');
    expect(jobStepOf('/zk-lab', '/zk-lab/dead/job-0000000007')?.state).toBe('dead');
    expect(jobStepOf('/zk-lab', '/zk-lab/assign/w2')).toBeNull();
    expect(jobStepOf('/zk-lab', '/zk-lab/workers/job-0000000007')).toBeNull();
    expect(jobStepOf('/zk-lab', '/elsewhere/queue/job-0000000007')).toBeNull();
  });

  it('follows a job from the queue to a worker to its result, newest first', () => {
    const jobs = new JobTracker('/zk-lab');
    jobs.apply([at('/zk-lab/queue/job-0000000001'), at('/zk-lab/queue/job-0000000002')], 1);
    jobs.apply(
      [at('/zk-lab/assign/w1/job-0000000001'), at('/zk-lab/queue/job-0000000001', 'deleted')],
      2,
    );
    expect(jobs.list().map((job) => [job.key, job.state, job.worker])).toEqual([
      ['job-0000000001', 'assigned', 'w1'],
      ['job-0000000002', 'queued', null],
    ]);
    jobs.apply(
      [at('/zk-lab/results/job-0000000001'), at('/zk-lab/assign/w1/job-0000000001', 'deleted')],
      3,
    );
    expect(jobs.list()[0]).toMatchObject({ key: 'job-0000000001', state: 'done', worker: 'w1' });
    expect(jobs.list()[0]?.steps.map((step) => step.state)).toEqual(['queued', 'assigned', 'done']);
  });

  it('counts a requeue and ends a job that ran out of attempts as dead', () => {
    const jobs = new JobTracker('/zk-lab');
    jobs.apply([at('/zk-lab/queue/job-0000000003')], 1);
    jobs.apply([at('/zk-lab/assign/w1/job-0000000003')], 2);
    jobs.apply([at('/zk-lab/queue/job-0000000003')], 3);
    expect(jobs.list()[0]).toMatchObject({ state: 'queued', worker: null, queuedTimes: 2 });
    jobs.apply([at('/zk-lab/dead/job-0000000003')], 4);
    expect(jobs.list()[0]?.state).toBe('dead');
  });

  it('keeps only the most recent jobs', () => {
    const jobs = new JobTracker('/zk-lab', 3);
    for (let i = 1; i <= 5; i++) jobs.apply([at(`/zk-lab/queue/job-000000000${i}`)], i);
    expect(jobs.list().map((job) => job.key)).toEqual([
      'job-0000000005',
      'job-0000000004',
      'job-0000000003',
    ]);
  });

  it('says nothing moved for changes that are not about jobs', () => {
    const jobs = new JobTracker('/zk-lab');
    expect(jobs.apply([at('/zk-lab/workers/w1'), at('/zk-lab/config', 'changed')], 1)).toBe(false);
  });
});

import { compareJobNames, isJobName, jobKey, jobSequence, NotAJobNameError } from './namespace';

describe('job node names', () => {
  it('gives the key of a protected name and of a requeued one alike', () => {
    expect(jobKey('_c_0f1e2d3c-aaaa-bbbb-cccc-111122223333-job-0000000042')).toBe('job-0000000042');
    expect(jobKey('job-0000000042')).toBe('job-0000000042');
    expect(jobSequence('job-0000000042')).toBe(42);
  });

  it('orders by sequence, whatever the prefix', () => {
    const names = ['_c_b-job-0000000010', 'job-0000000002', '_c_a-job-0000000007'];
    expect([...names].sort(compareJobNames)).toEqual([
      'job-0000000002',
      '_c_a-job-0000000007',
      '_c_b-job-0000000010',
    ]);
  });

  it('refuses names that are not job nodes', () => {
    expect(isJobName('lock-0000000001')).toBe(false);
    expect(() => jobKey('job-12')).toThrow(NotAJobNameError);
  });
});

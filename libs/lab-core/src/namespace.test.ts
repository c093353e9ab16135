import { compareJobNames, isJobName, jobKey, jobSequence, NotAJobNameError } from './namespace';

describe('job node names', () => {
  it('gives the key of a protected name and of a requeued one alike', () => {
    expect(jobKey('_c_0f1e2d3c-aaaa-bbbb-cccc-111122223333-job-0000000042')).toBe('job-0000000042');
    expect(jobKey('job-0000000042')).toBe('job-0000000042');
    expect(jobSequence('job-0000000042')).toBe(42);
  });

  it('orders by sequence, whatever the prefix', () => {
    const a = '_c_0f1e2d3c-aaaa-bbbb-cccc-111122223333-job-0000000007';
    const b = '_c_9f1e2d3c-aaaa-bbbb-cccc-111122223333-job-0000000010';
    const names = [b, 'job-0000000002', a];
    expect([...names].sort(compareJobNames)).toEqual(['job-0000000002', a, b]);
  });

  it('refuses names that are not job nodes', () => {
    expect(isJobName('lock-0000000001')).toBe(false);
    expect(() => jobKey('job-12')).toThrow(NotAJobNameError);
  });

  it('refuses strangers that only end like a job name: they would share its key', () => {
    for (const name of ['a-job-0000000007', 'b-job-0000000007', '_c_x-job-0000000007']) {
      expect(isJobName(name)).toBe(false);
      expect(() => jobKey(name)).toThrow(NotAJobNameError);
    }
  });
});

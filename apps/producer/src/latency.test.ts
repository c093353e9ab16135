import { percentile, summarizeLatencies } from './latency';

describe('latency percentiles (nearest rank)', () => {
  it('are always values of the sample', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarizeLatencies(hundred)).toEqual({
      count: 100,
      p50: 50,
      p95: 95,
      p99: 99,
      max: 100,
    });
  });

  it('of a small sample: the high percentiles are its maximum', () => {
    expect(summarizeLatencies([40, 10, 30, 20])).toEqual({
      count: 4,
      p50: 20,
      p95: 40,
      p99: 40,
      max: 40,
    });
  });

  it('nothing to summarize is null; a percentile of nothing is an error', () => {
    expect(summarizeLatencies([])).toBeNull();
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 0)).toThrow(RangeError);
  });
});

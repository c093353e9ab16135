import { compareNames, sortNames } from './live-tree';

describe('children by name, as people read them', () => {
  it('numbers by value, letters in any case together, every name in one place', () => {
    const names = ['p10', 'B', 'p2', 'a', 'job-0000000010', 'A', 'p02', 'job-0000000009', 'b'];
    const sorted = sortNames(names);
    expect(sorted).toEqual([
      'A',
      'a',
      'B',
      'b',
      'job-0000000009',
      'job-0000000010',
      'p02',
      'p2',
      'p10',
    ]);
    // The order kept by binary search is the same as the sort's.
    expect([...names].sort(compareNames)).toEqual(sorted);
  });
});

import { compareNames } from './live-tree';

describe('children by name', () => {
  it('in code-point order, as the page inserts a created child into a loaded page', () => {
    const names = ['p10', 'B', 'p2', 'a', 'job-0000000010', 'A', 'job-0000000009', 'b'];
    expect([...names].sort(compareNames)).toEqual([
      'A',
      'B',
      'a',
      'b',
      'job-0000000009',
      'job-0000000010',
      'p10',
      'p2',
    ]);
  });
});

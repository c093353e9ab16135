import { planAssignments } from './assignment-plan';

describe('planAssignments', () => {
  it('hands jobs out in queue order to the worker with the most free slots', () => {
    const plan = planAssignments(
      ['j1', 'j2', 'j3', 'j4'],
      new Map([
        ['a', 1],
        ['b', 3],
      ]),
      10,
    );
    expect(plan).toEqual([
      { name: 'j1', worker: 'b' },
      { name: 'j2', worker: 'b' },
      { name: 'j3', worker: 'a' },
      { name: 'j4', worker: 'b' },
    ]);
  });

  it('never passes a worker’s free slots or the batch limit', () => {
    expect(
      planAssignments(
        ['j1', 'j2', 'j3'],
        new Map([
          ['a', 1],
          ['b', 0],
        ]),
        10,
      ),
    ).toEqual([{ name: 'j1', worker: 'a' }]);
    expect(planAssignments(['j1', 'j2', 'j3'], new Map([['a', 5]]), 2)).toHaveLength(2);
    expect(planAssignments(['j1'], new Map([['a', -2]]), 10)).toEqual([]);
  });
});

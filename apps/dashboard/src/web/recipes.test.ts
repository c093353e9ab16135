import type { NodeSummary } from '../protocol';
import { herd, inSequence } from './recipes';

const child = (name: string, owner: string | null): NodeSummary => ({
  path: `/r/election/${name}`,
  name,
  type: 'ephemeral',
  sequential: true,
  owner,
  version: 0,
  numChildren: 0,
  dataLength: 0,
  preview: '',
});

describe('the recipe overlay', () => {
  it('puts the lowest sequence first (the leader) and has each other watch its predecessor', () => {
    const apps: Record<string, string> = { '0x1': 'm1', '0x2': 'm2' };
    const order = inSequence(
      [
        child('_c_a-latch-0000000012', '0x2'),
        child('_c_b-latch-0000000007', '0x1'),
        child('_c_c-latch-0000000009', '0x3'),
      ],
      (session) => apps[session] ?? null,
    );
    expect(order.map((p) => [p.sequence, p.app, p.watches])).toEqual([
      [7, 'm1', null],
      [9, null, '_c_b-latch-0000000007'],
      [12, 'm2', '_c_c-latch-0000000009'],
    ]);
  });

  it('counts the herd: a naive lock wakes every waiter, the predecessor watch one', () => {
    expect(herd(5)).toEqual({ naive: 5, predecessor: 1 });
    expect(herd(0)).toEqual({ naive: 0, predecessor: 0 });
  });
});

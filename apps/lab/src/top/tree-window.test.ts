import type { Stat } from '@zk-lab/zk-client';
import { statOf } from './__tests__/stat-fixture';
import { TreeWindow } from './tree-window';
import { ZnodeTree } from './znode-tree';

const STAT: Stat = statOf(1n);

function treeOf(count: number): ZnodeTree {
  const tree = new ZnodeTree({ root: '/r' });
  tree.upsert('/r', STAT, null, false);
  for (let i = 0; i < count; i++) {
    tree.upsert(
      `/r/n${String(i).padStart(5, '0')}`,
      { ...STAT, czxid: BigInt(i + 2) },
      null,
      false,
    );
  }
  return tree;
}

const names = (w: ReturnType<TreeWindow['window']>) => w.rows.map((r) => r.entry.name);

describe('TreeWindow: the rows a terminal shows', () => {
  it('shows only `height` rows, scrolled to keep the selection in them', () => {
    const tree = treeOf(10_000);
    const window = new TreeWindow();
    window.select('/r');
    expect(window.window(tree.rows(), 5).rows).toHaveLength(5);
    window.move(tree.rows(), 7);
    const w = window.window(tree.rows(), 5);
    expect(names(w)).toEqual(['n00002', 'n00003', 'n00004', 'n00005', 'n00006']);
    expect(w.selected).toBe(4);
    window.move(tree.rows(), -6);
    expect(window.window(tree.rows(), 5).selected).toBe(0);
    expect(window.selection).toBe('/r/n00000');
  });

  it('keeps the selected node selected when rows appear above it', () => {
    const tree = treeOf(20);
    const window = new TreeWindow();
    window.select('/r/n00010');
    window.window(tree.rows(), 5);
    tree.upsert('/r/a-new', { ...STAT, czxid: 100n }, null, true);
    const w = window.window(tree.rows(), 5);
    expect(w.rows[w.selected]?.entry.path).toBe('/r/n00010');
  });

  it('selects the row at its old place when the selected node goes', () => {
    const tree = new ZnodeTree({ root: '/r', flashMs: 0, now: () => 0 });
    tree.upsert('/r', STAT, null, false);
    for (const name of ['a', 'b', 'c']) tree.upsert(`/r/${name}`, STAT, null, false);
    const window = new TreeWindow();
    window.select('/r/b');
    window.window(tree.rows(), 10);
    tree.delete('/r/b');
    tree.expireFlashes();
    const w = window.window(tree.rows(), 10);
    expect(w.rows[w.selected]?.entry.path).toBe('/r/c');
  });

  it('clamps moves to the rows and handles an empty tree', () => {
    const tree = treeOf(3);
    const window = new TreeWindow();
    window.select('/r');
    window.move(tree.rows(), 100);
    expect(window.selection).toBe('/r/n00002');
    expect(new TreeWindow().window([], 5)).toEqual({ offset: 0, rows: [], selected: -1 });
  });
});

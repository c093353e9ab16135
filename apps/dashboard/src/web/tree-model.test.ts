import type { NodeSummary, TreeChange } from '../protocol';
import { FLASH_MS, TreeModel, type TreeRow } from './tree-model';

function node(path: string, extra: Partial<NodeSummary> = {}): NodeSummary {
  return {
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    type: 'persistent',
    sequential: false,
    owner: null,
    version: 0,
    numChildren: 0,
    dataLength: 0,
    preview: '',
    ...extra,
  };
}

const batch = (...changes: TreeChange[]) => ({ changes, dropped: 0, reload: false });
const created = (path: string): TreeChange => ({ path, kind: 'created', node: node(path) });
const deleted = (path: string): TreeChange => ({ path, kind: 'deleted', node: null });
const paths = (rows: TreeRow[]) =>
  rows.map((row) => (row.kind === 'node' ? row.path : `more:${row.path}`));

function loaded(names: string[], total = names.length): TreeModel {
  const model = new TreeModel('/r');
  model.addPage({ path: '/r', total, offset: 0, children: names.map((n) => node(`/r/${n}`)) });
  return model;
}

describe('the tree model', () => {
  it('shows the root, its loaded children in name order, and a "more" row for a partial list', () => {
    const model = loaded(['a', 'b'], 5);
    expect(paths(model.rows())).toEqual(['/r', '/r/a', '/r/b', 'more:/r']);
    model.addPage({
      path: '/r',
      total: 5,
      offset: 2,
      children: ['c', 'd', 'e'].map((n) => node(`/r/${n}`)),
    });
    expect(paths(model.rows())).toEqual(['/r', '/r/a', '/r/b', '/r/c', '/r/d', '/r/e']);
  });

  it('inserts a created child in order and flashes it green', () => {
    const model = loaded(['a', 'c']);
    model.applyBatch(batch(created('/r/b')), 1000);
    const rows = model.rows();
    expect(paths(rows)).toEqual(['/r', '/r/a', '/r/b', '/r/c']);
    expect(rows[2]).toMatchObject({ flash: { kind: 'created', at: 1000 }, gone: false });
    expect(rows[0]).toMatchObject({ childCount: 3 });
  });

  it('only counts a created child that sorts past the end of a partly loaded list', () => {
    const model = loaded(['a', 'b'], 4);
    model.applyBatch(batch(created('/r/z')), 0);
    expect(paths(model.rows())).toEqual(['/r', '/r/a', '/r/b', 'more:/r']);
    expect(model.lists.get('/r')).toEqual({ names: ['a', 'b'], total: 5 });
  });

  it('keeps a deleted row, red, until its flash fades, then removes it and all below it', () => {
    const model = loaded(['a', 'b']);
    model.expand('/r/a');
    model.addPage({ path: '/r/a', total: 1, offset: 0, children: [node('/r/a/x')] });
    model.applyBatch(batch(deleted('/r/a')), 5000);
    expect(model.rows()[1]).toMatchObject({ path: '/r/a', gone: true, flash: { kind: 'deleted' } });
    expect(model.sweep(5000 + FLASH_MS - 1)).toBe(false);
    expect(model.sweep(5000 + FLASH_MS)).toBe(true);
    expect(paths(model.rows())).toEqual(['/r', '/r/b']);
    expect(model.nodes.has('/r/a/x')).toBe(false);
    expect(model.lists.get('/r')?.total).toBe(1);
  });

  it('a node deleted and created again while its red row shows is one row, replaced, old owner beside the new', () => {
    const model = loaded(['a', 'w1']);
    model.setNode(node('/r/w1', { type: 'ephemeral', owner: '0x100' }));
    model.applyBatch(
      batch(deleted('/r/w1'), {
        path: '/r/w1',
        kind: 'created',
        node: node('/r/w1', { type: 'ephemeral', owner: '0x200' }),
      }),
      7000,
    );
    const row = model.rows()[2];
    expect(row).toMatchObject({
      path: '/r/w1',
      gone: false,
      flash: { kind: 'replaced', was: '0x100' },
      node: { owner: '0x200' },
    });
    expect(paths(model.rows())).toEqual(['/r', '/r/a', '/r/w1']);
    expect(model.lists.get('/r')).toEqual({ names: ['a', 'w1'], total: 2 });
    model.sweep(7000 + FLASH_MS);
    expect(model.rows()[2]).toMatchObject({ path: '/r/w1', gone: false, flash: null });
  });

  it('takes the new summary of a changed node and flashes it yellow; the flash fades', () => {
    const model = loaded(['a']);
    model.applyBatch(
      batch({ path: '/r/a', kind: 'changed', node: node('/r/a', { version: 3 }) }),
      0,
    );
    expect(model.rows()[1]).toMatchObject({ node: { version: 3 }, flash: { kind: 'changed' } });
    expect(model.busy()).toBe(true);
    model.sweep(FLASH_MS);
    expect(model.rows()[1]).toMatchObject({ flash: null });
    expect(model.busy()).toBe(false);
  });

  it('ignores changes outside the root and recomputes rows only after a change', () => {
    const model = loaded(['a']);
    const before = model.rows();
    expect(model.applyBatch(batch(created('/other/x')), 0)).toBe(false);
    expect(model.rows()).toBe(before);
  });

  it('keeps nothing of changes under a parent whose children were never loaded', () => {
    const model = loaded(['results']);
    expect(model.applyBatch(batch(created('/r/results/job-0000000001')), 0)).toBe(false);
    expect(model.nodes.has('/r/results/job-0000000001')).toBe(false);
    expect(model.busy()).toBe(false);
  });

  // How fast is for the benchmark (npm run bench -- dashboard), not for a unit test.
  it('flattens 100,000 children, with one created among them in its place', () => {
    const model = new TreeModel('/r');
    const children = Array.from({ length: 100_000 }, (_, i) =>
      node(`/r/n${String(i).padStart(6, '0')}`),
    );
    model.addPage({ path: '/r', total: children.length, offset: 0, children });
    model.applyBatch(batch(created('/r/n050000x')), 0);
    const rows = model.rows();
    expect(rows).toHaveLength(100_002);
    const at = rows.findIndex((r) => r.kind === 'node' && r.path === '/r/n050000x');
    expect([rows[at - 1], rows[at + 1]].map((r) => (r?.kind === 'node' ? r.path : null))).toEqual([
      '/r/n050000',
      '/r/n050001',
    ]);
  });
});

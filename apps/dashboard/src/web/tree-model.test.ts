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
const created = (path: string, seq = 1): TreeChange => ({
  path,
  kind: 'created',
  seq,
  node: node(path),
});
const deleted = (path: string, seq = 1): TreeChange => ({ path, kind: 'deleted', seq, node: null });
const counted = (path: string, numChildren: number, seq: number): TreeChange => ({
  path,
  kind: 'children',
  seq,
  node: node(path, { numChildren }),
});
const paths = (rows: TreeRow[]) =>
  rows.map((row) => (row.kind === 'node' ? row.path : `more:${row.path}`));
const page = (path: string, names: string[], seq: number, offset = 0, total = names.length) => ({
  path,
  seq,
  total,
  offset,
  children: names.map((n) => node(`${path}/${n}`)),
});

function loaded(names: string[], total = names.length): TreeModel {
  const model = new TreeModel('/r');
  model.addPage(page('/r', names, 0, 0, total));
  return model;
}

describe('the tree model', () => {
  it('shows the root, its loaded children in name order, and a "more" row for a partial list', () => {
    const model = loaded(['a', 'b'], 5);
    expect(paths(model.rows())).toEqual(['/r', '/r/a', '/r/b', 'more:/r']);
    model.addPage(page('/r', ['c', 'd', 'e'], 0, 2, 5));
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
    expect(model.lists.get('/r')).toMatchObject({ names: ['a', 'b'], total: 5 });
  });

  it('keeps a deleted row, red, until its flash fades, then removes it and all below it', () => {
    const model = loaded(['a', 'b']);
    model.expand('/r/a');
    model.addPage(page('/r/a', ['x'], 0));
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
      batch(deleted('/r/w1', 1), {
        path: '/r/w1',
        kind: 'created',
        seq: 2,
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
    expect(model.lists.get('/r')).toMatchObject({ names: ['a', 'w1'], total: 2 });
    model.sweep(7000 + FLASH_MS);
    expect(model.rows()[2]).toMatchObject({ path: '/r/w1', gone: false, flash: null });
  });

  it('takes the new summary of a changed node and flashes it yellow; the flash fades', () => {
    const model = loaded(['a']);
    model.applyBatch(
      batch({ path: '/r/a', kind: 'changed', seq: 1, node: node('/r/a', { version: 3 }) }),
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

  describe('pages and the stream, ordered by sequence numbers', () => {
    it('a change that arrives while the first page is on its way, newer than the page, is applied when it lands', () => {
      const model = loaded(['app']);
      model.expand('/r/app');
      const ticket = model.startLoad('/r/app', 0);
      // The server applied seq 6 after it built the page (as of 5): only the stream has it.
      model.applyBatch(batch(created('/r/app/w2', 6)), 100);
      model.addPage(page('/r/app', ['w1'], 5), ticket, 100);
      expect(paths(model.rows())).toEqual(['/r', '/r/app', '/r/app/w1', '/r/app/w2']);
      expect(model.rows()[1]).toMatchObject({ childCount: 2 });
      expect(model.rows()[3]).toMatchObject({ flash: { kind: 'created' } });
    });

    it('a change the page already holds is not applied again, whether it comes before or after the page', () => {
      const model = loaded(['app']);
      const ticket = model.startLoad('/r/app', 0);
      // Before the page: the page (as of 7) holds w2's creation (6) and w0's deletion (7).
      model.applyBatch(batch(created('/r/app/w2', 6)), 0);
      model.addPage(page('/r/app', ['w1', 'w2'], 7), ticket, 0);
      // After the page: the stream was slower than the page's answer.
      model.applyBatch(batch(deleted('/r/app/w0', 7)), 0);
      model.applyBatch(batch(created('/r/app/w1', 3)), 0);
      expect(model.lists.get('/r/app')).toMatchObject({ names: ['w1', 'w2'], total: 2 });
      expect(model.gone.size).toBe(0);
      expect(model.flashes.size).toBe(0);
      // A newer one still applies.
      model.applyBatch(batch(deleted('/r/app/w1', 8)), 0);
      expect(model.lists.get('/r/app')).toMatchObject({ total: 1 });
      expect(model.gone.has('/r/app/w1')).toBe(true);
    });

    it('a deleted node does not come back when its deletion reached the page before the page that still listed it', () => {
      const model = loaded(['app']);
      model.addPage(page('/r/app', ['w1'], 5));
      model.collapse('/r/app');
      model.reset(); // a reload: every list is asked for again
      const ticket = model.startLoad('/r/app', 0);
      model.applyBatch(batch(deleted('/r/app/w1', 9)), 0);
      model.addPage(page('/r/app', ['w1'], 8), ticket, 0);
      model.sweep(FLASH_MS);
      expect(model.lists.get('/r/app')).toMatchObject({ names: [], total: 0 });
    });

    it('a later page newer than the stream keeps its rows: an older change of them is not applied over them', () => {
      const model = loaded(['a', 'b'], 4);
      model.addPage({
        ...page('/r', ['c', 'd'], 9, 2, 4),
        children: [node('/r/c', { version: 2 }), node('/r/d')],
      });
      // The stream catches up: c's change to version 1 (5) and d's deletion before its re-creation (6).
      model.applyBatch(
        batch(
          { path: '/r/c', kind: 'changed', seq: 5, node: node('/r/c', { version: 1 }) },
          deleted('/r/d', 6),
        ),
        0,
      );
      expect(model.nodes.get('/r/c')).toMatchObject({ version: 2 });
      expect(model.gone.size).toBe(0);
      expect(model.flashes.size).toBe(0);
    });

    it('a later page older than a change the list took past its end is asked for again', () => {
      const model = loaded(['a', 'b'], 4);
      model.applyBatch(batch(deleted('/r/d', 7)), 0); // past the end: only counted
      expect(model.lists.get('/r')).toMatchObject({ total: 3 });
      expect(model.addPage(page('/r', ['c', 'd'], 6, 2, 4))).toBe('older');
      expect(model.addPage(page('/r', ['c'], 7, 2, 3))).toBe('added');
      expect(paths(model.rows())).toEqual(['/r', '/r/a', '/r/b', '/r/c']);
    });

    it('an answer to a request from before a reset is refused', () => {
      const model = loaded(['a', 'b']);
      const stale = model.startLoad('/r', 0);
      model.reset();
      const fresh = model.startLoad('/r', 0);
      expect(model.addPage(page('/r', ['a', 'b'], 4), stale)).toBe('refused');
      expect(model.isLoaded('/r')).toBe(false);
      model.applyBatch(batch(deleted('/r/b', 5)), 0);
      expect(model.addPage(page('/r', ['a', 'b'], 4), fresh)).toBe('added');
      expect(model.lists.get('/r')).toMatchObject({ names: ['a', 'b'], total: 1 });
      expect(model.gone.has('/r/b')).toBe(true);
    });
  });

  it('a parent whose child count moved takes the count without a flash (ZooKeeper reported nothing for it)', () => {
    const model = loaded(['app']);
    model.applyBatch(batch(counted('/r/app', 3, 1)), 0);
    expect(model.rows()[1]).toMatchObject({ path: '/r/app', childCount: 3, flash: null });
    expect(model.busy()).toBe(false);
    // Its own loaded list takes the count too (the last word on how many there are).
    model.addPage(page('/r/app', ['x'], 2, 0, 4));
    model.applyBatch(batch(counted('/r/app', 6, 3), counted('/r/app', 1, 2)), 0);
    expect(model.rows()[1]).toMatchObject({ childCount: 6, flash: null });
  });

  // How fast is for the benchmark (npm run bench -- dashboard), not for a unit test.
  it('flattens 100,000 children, with one created among them in its place', () => {
    const model = new TreeModel('/r');
    const children = Array.from({ length: 100_000 }, (_, i) =>
      node(`/r/n${String(i).padStart(6, '0')}`),
    );
    model.addPage({ path: '/r', seq: 0, total: children.length, offset: 0, children });
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

import type { Stat } from '@zk-lab/zk-client';
import { statOf } from './__tests__/stat-fixture';
import { ownerSession, previewOf, ZnodeTree, znodeType } from './znode-tree';

let zxid = 1n;

function stat(fields: Partial<Stat> = {}): Stat {
  return statOf(zxid++, fields);
}

/** A tree with a controllable clock, loaded with `paths` (parents first). */
function loaded(paths: string[], root = '/app') {
  const clock = { now: 1_000 };
  const tree = new ZnodeTree({ root, flashMs: 2_000, now: () => clock.now });
  for (const path of [root, ...paths]) tree.upsert(path, stat(), Buffer.from(''), false);
  return { tree, clock };
}

const paths = (tree: ZnodeTree) => tree.rows().map((row) => row.entry.path);

describe('ZnodeTree: the copy of a subtree', () => {
  it('a load shows the root and its children by name, without flashing', () => {
    const { tree } = loaded(['/app/b', '/app/a', '/app/a/x']);
    expect(paths(tree)).toEqual(['/app', '/app/a', '/app/b']);
    expect(tree.size).toBe(4);
    expect(tree.rows().every((row) => row.entry.flash === null)).toBe(true);
    tree.expand('/app/a');
    expect(paths(tree)).toEqual(['/app', '/app/a', '/app/a/x', '/app/b']);
    tree.collapse('/app/a');
    expect(paths(tree)).toEqual(['/app', '/app/a', '/app/b']);
  });

  it('a created node flashes green as created, with the owning session of an ephemeral', () => {
    const { tree } = loaded([]);
    const change = tree.upsert(
      '/app/e',
      stat({ ephemeralOwner: 0x1234n }),
      Buffer.from('hi'),
      true,
    );
    expect(change).toEqual({ kind: 'created', path: '/app/e', session: 0x1234n });
    expect(tree.get('/app/e')?.flash?.kind).toBe('created');
    expect(tree.sessions()).toEqual([{ session: 0x1234n, paths: ['/app/e'] }]);
  });

  it('a data change flashes as changed; an older read of the same node is ignored', () => {
    const { tree } = loaded(['/app/c']);
    const first = tree.get('/app/c')?.stat as Stat;
    const newer = { ...first, mzxid: first.mzxid + 100n, version: 1 };
    expect(tree.upsert('/app/c', newer, Buffer.from('v1'), true)?.kind).toBe('changed');
    expect(tree.upsert('/app/c', first, Buffer.from('v0'), true)).toBeNull();
    expect(tree.get('/app/c')?.preview).toBe('v1');
    expect(tree.get('/app/c')?.stat.version).toBe(1);
  });

  it('a deleted node stays, red, while its flash lasts, then goes', () => {
    const { tree, clock } = loaded(['/app/d']);
    expect(tree.delete('/app/d')).toEqual({ kind: 'deleted', path: '/app/d', session: null });
    expect(tree.size).toBe(1);
    expect(paths(tree)).toContain('/app/d');
    expect(tree.get('/app/d')?.flash?.kind).toBe('deleted');
    clock.now += 1_999;
    tree.expireFlashes();
    expect(paths(tree)).toContain('/app/d');
    clock.now += 1;
    expect(tree.expireFlashes()).toBe(true);
    expect(paths(tree)).toEqual(['/app']);
    expect(tree.get('/app/d')).toBeUndefined();
  });

  it('flashes of live nodes end without removing them', () => {
    const { tree, clock } = loaded([]);
    tree.upsert('/app/n', stat(), Buffer.from(''), true);
    clock.now += 2_000;
    tree.expireFlashes();
    expect(tree.get('/app/n')?.flash).toBeNull();
    expect(paths(tree)).toEqual(['/app', '/app/n']);
  });

  it('an ephemeral node leaves its session group when deleted; an empty group goes', () => {
    const { tree } = loaded([]);
    tree.upsert('/app/e1', stat({ ephemeralOwner: 7n }), Buffer.from(''), true);
    tree.upsert('/app/e2', stat({ ephemeralOwner: 7n }), Buffer.from(''), true);
    tree.delete('/app/e1');
    expect(tree.sessions()).toEqual([{ session: 7n, paths: ['/app/e2'] }]);
    expect(tree.delete('/app/e2')?.session).toBe(7n);
    expect(tree.sessions()).toEqual([]);
  });

  it('a node made again while its ghost flashes is a new, created node', () => {
    const { tree } = loaded(['/app/r']);
    tree.delete('/app/r');
    expect(tree.upsert('/app/r', stat(), Buffer.from(''), true)?.kind).toBe('created');
    expect(tree.size).toBe(2);
    expect(tree.get('/app/r')?.ghost).toBe(false);
  });

  it('a read sent before a deletion and answered after it does not bring the node back', () => {
    // The client runs watch listeners at once and awaited replies a little later.
    const { tree } = loaded(['/app/x']);
    const beforeDelete = tree.readStarted();
    tree.delete('/app/x');
    expect(tree.upsert('/app/x', stat(), Buffer.from('stale'), true, beforeDelete)).toBeNull();
    expect(tree.get('/app/x')?.ghost).toBe(true);
    // Unknown to the tree when deleted (a load still under way): not brought in either.
    const loadRead = tree.readStarted();
    tree.delete('/app/not-yet-loaded');
    expect(tree.upsert('/app/not-yet-loaded', stat(), null, false, loadRead)).toBeNull();
    expect(tree.get('/app/not-yet-loaded')).toBeUndefined();
    // Made again: the read sent after the deletion counts.
    const afterDelete = tree.readStarted();
    expect(tree.upsert('/app/x', stat(), Buffer.from('new'), true, afterDelete)?.kind).toBe(
      'created',
    );
  });

  it('a reload deletes what it did not see again, and keeps what it and the events saw', () => {
    const { tree } = loaded(['/app/kept', '/app/gone', '/app/touched']);
    tree.beginReload();
    tree.upsert('/app', tree.get('/app')?.stat as Stat, Buffer.from(''), false);
    tree.upsert('/app/kept', tree.get('/app/kept')?.stat as Stat, Buffer.from(''), false);
    tree.upsert('/app/touched', stat(), Buffer.from('new'), true);
    expect(tree.endReload()).toEqual([{ kind: 'deleted', path: '/app/gone', session: null }]);
    expect(tree.size).toBe(3);
  });

  it('the filter shows matching nodes and their ancestors, opened; clearing it restores', () => {
    const { tree } = loaded(['/app/a', '/app/a/needle-1', '/app/b', '/app/b/c', '/app/b/c/Needle']);
    tree.setFilter('needle');
    expect(paths(tree)).toEqual([
      '/app',
      '/app/a',
      '/app/a/needle-1',
      '/app/b',
      '/app/b/c',
      '/app/b/c/Needle',
    ]);
    tree.setFilter('');
    expect(paths(tree)).toEqual(['/app', '/app/a', '/app/b']);
  });

  it('nodes outside the root are not taken', () => {
    const { tree } = loaded([]);
    expect(tree.upsert('/application', stat(), Buffer.from(''), true)).toBeNull();
    expect(tree.get('/application')).toBeUndefined();
  });

  it('with 10,001 nodes, 200 changes apply and the rows show exactly their outcome', () => {
    const children = Array.from({ length: 100 }, (_, i) => `/app/p${i}`);
    const grandchildren = children.flatMap((p) =>
      Array.from({ length: 99 }, (_, j) => `${p}/n${String(j).padStart(2, '0')}`),
    );
    const { tree } = loaded([...children, ...grandchildren]);
    expect(tree.size).toBe(10_001);
    for (const p of children) tree.expand(p);
    expect(tree.rows()).toHaveLength(10_001);
    for (let i = 0; i < 200; i++) {
      const p = `/app/p${i % 100}`;
      if (i % 4 === 0) tree.upsert(`${p}/new${i}`, stat(), Buffer.from('x'), true);
      else if (i % 4 === 1) tree.delete(`${p}/n${String(i % 99).padStart(2, '0')}`);
      else {
        const path = `${p}/n50`;
        const old = tree.get(path)?.stat as Stat;
        tree.upsert(path, { ...old, mzxid: zxid++, version: old.version + 1 }, null, true);
      }
    }
    // 50 created, 50 deleted (ghosts still shown), 100 changes on 50 nodes (two each).
    expect(tree.size).toBe(10_001);
    expect(tree.rows()).toHaveLength(10_051);
    const flashing = tree.rows().filter((row) => row.entry.flash !== null);
    expect(flashing.filter((r) => r.entry.flash?.kind === 'created')).toHaveLength(50);
    expect(flashing.filter((r) => r.entry.flash?.kind === 'deleted')).toHaveLength(50);
    expect(flashing.filter((r) => r.entry.flash?.kind === 'changed')).toHaveLength(50);
    expect(tree.get('/app/p2/n50')?.stat.version).toBe(2);
    expect(tree.get('/app/p49/n50')?.ghost).toBe(true);
  });
});

describe('what a Stat tells of a node', () => {
  it('the type comes from ephemeralOwner: 0, a session, the container mark, the TTL mark', () => {
    expect(znodeType(stat())).toBe('persistent');
    expect(znodeType(stat({ ephemeralOwner: 0x100000abcn }))).toBe('ephemeral');
    expect(znodeType(stat({ ephemeralOwner: -(2n ** 63n) }))).toBe('container');
    expect(znodeType(stat({ ephemeralOwner: BigInt.asIntN(64, (0xffn << 56n) | 5000n) }))).toBe(
      'ttl',
    );
    expect(ownerSession(stat({ ephemeralOwner: -(2n ** 63n) }))).toBeNull();
  });

  it('the preview is one printable line, cut with an ellipsis', () => {
    expect(previewOf(Buffer.from('{"a":1,\n"b":2}'))).toBe('{"a":1, "b":2}');
    expect(previewOf(Buffer.alloc(100, 'x'))).toBe(`${'x'.repeat(64)}…`);
  });
});

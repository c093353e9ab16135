/**
 * Transactions (multi) against the run's shared ensemble (real ZooKeeper servers), under
 * this file's own root: all ops apply together, or none does and the error names the op.
 */
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from './client';
import {
  BadVersionError,
  InvalidPathError,
  NodeExistsError,
  NoNodeError,
  RuntimeInconsistencyError,
  ZkError,
} from './errors';
import { MultiError } from './multi';
import { CreateMode } from './protocol';

describe('multi on a live ensemble', () => {
  const root = testRoot();
  let zk: ZkClient;

  beforeAll(async () => {
    zk = await ZkClient.connect({ connectString: sharedConnectString(), sessionTimeoutMs: 4_000 });
    await zk.create(root);
  });

  afterAll(async () => {
    await zk.close();
  });

  async function dataOf(path: string): Promise<string> {
    return (await zk.getData(path)).data.toString('utf8');
  }

  it('a transaction of create, setData, delete and check commits with one result per op', async () => {
    const base = `${root}/commit`;
    await zk.create(base);
    await zk.create(`${base}/existing`, 'v0');
    await zk.create(`${base}/doomed`);

    const results = await zk
      .multi()
      .create(`${base}/fresh`, 'new')
      .setData(`${base}/existing`, 'v1', 0)
      .delete(`${base}/doomed`, 0)
      .check(`${base}/existing`, 1)
      .commit();

    expect(results).toHaveLength(4);
    const [created, set, deleted, checked] = results;
    expect(created).toMatchObject({ op: 'create', path: `${base}/fresh` });
    expect(set).toMatchObject({ op: 'setData', stat: { version: 1 } });
    expect(deleted).toEqual({ op: 'delete' });
    expect(checked).toEqual({ op: 'check' });

    expect(await dataOf(`${base}/fresh`)).toBe('new');
    expect(await dataOf(`${base}/existing`)).toBe('v1');
    expect(await zk.exists(`${base}/doomed`)).toBeNull();
    // One transaction, one zxid.
    const fresh = await zk.exists(`${base}/fresh`);
    const existing = await zk.exists(`${base}/existing`);
    expect(fresh?.czxid).toBe(existing?.mzxid);
  });

  it('a failing check in the middle rolls everything back and names the op that failed', async () => {
    const base = `${root}/failed-check`;
    await zk.create(base);
    await zk.create(`${base}/epoch`, '7');
    await zk.setData(`${base}/epoch`, '8'); // version 1: a check at version 0 must fail
    await zk.create(`${base}/queued`, 'job');

    const error = await zk
      .multi()
      .create(`${base}/assigned`, 'job')
      .check(`${base}/epoch`, 0)
      .setData(`${base}/queued`, 'taken')
      .delete(`${base}/queued`)
      .commit()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MultiError);
    expect(error).toBeInstanceOf(ZkError);
    const multiError = error as MultiError;
    expect(multiError.index).toBe(1);
    expect(multiError.op).toBe('check');
    expect(multiError.path).toBe(`${base}/epoch`);
    expect(multiError.code).toBe(new BadVersionError().code);
    expect(multiError.opError).toBeInstanceOf(BadVersionError);
    expect(multiError.opError).toMatchObject({ op: 'check', path: `${base}/epoch` });
    expect(multiError.message).toContain(`check ${base}/epoch`);
    // Before the failing op: would have succeeded; after it: never tried.
    expect(multiError.outcomes.map((o) => [o.op, o.path])).toEqual([
      ['create', `${base}/assigned`],
      ['check', `${base}/epoch`],
      ['setData', `${base}/queued`],
      ['delete', `${base}/queued`],
    ]);
    expect(multiError.outcomes[0]?.error).toBeNull();
    expect(multiError.outcomes[1]?.error).toBeInstanceOf(BadVersionError);
    expect(multiError.outcomes[2]?.error).toBeInstanceOf(RuntimeInconsistencyError);
    expect(multiError.outcomes[3]?.error).toBeInstanceOf(RuntimeInconsistencyError);

    expect(await zk.exists(`${base}/assigned`)).toBeNull();
    expect(await dataOf(`${base}/queued`)).toBe('job');
    expect((await zk.exists(`${base}/queued`))?.version).toBe(0);
  });

  it('a failing create (NodeExists) rolls back the ops before it', async () => {
    const base = `${root}/failed-create`;
    await zk.create(base);
    await zk.create(`${base}/result`, 'first');
    await zk.create(`${base}/task`, 'work');

    const error = await zk
      .multi()
      .setData(`${base}/task`, 'done')
      .create(`${base}/other`)
      .create(`${base}/result`, 'second')
      .delete(`${base}/task`)
      .commit()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MultiError);
    const multiError = error as MultiError;
    expect(multiError).toMatchObject({ index: 2, op: 'create', path: `${base}/result` });
    expect(multiError.opError).toBeInstanceOf(NodeExistsError);
    expect(multiError.outcomes.map((o) => o.error?.name ?? 'ok')).toEqual([
      'ok',
      'ok',
      'NodeExistsError',
      'RuntimeInconsistencyError',
    ]);

    expect(await dataOf(`${base}/task`)).toBe('work');
    expect(await zk.exists(`${base}/other`)).toBeNull();
    expect(await dataOf(`${base}/result`)).toBe('first');
  });

  it('a delete of a node that is gone fails the transaction with NoNodeError', async () => {
    const base = `${root}/failed-delete`;
    await zk.create(base);
    const error = await zk
      .multi()
      .create(`${base}/result`)
      .delete(`${base}/assign-taken-back`)
      .commit()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MultiError);
    expect((error as MultiError).opError).toBeInstanceOf(NoNodeError);
    expect(error).toMatchObject({ index: 1, op: 'delete', path: `${base}/assign-taken-back` });
    expect(await zk.exists(`${base}/result`)).toBeNull();
  });

  it('100 pipelined transactions all commit', async () => {
    const base = `${root}/pipelined`;
    await zk.create(base);
    const commits = Array.from({ length: 100 }, (_, i) =>
      zk.multi().create(`${base}/n${i}`, String(i)).setData(`${base}/n${i}`, `${i}+`, 0).commit(),
    );
    const results = await Promise.all(commits);
    results.forEach((r, i) => {
      expect(r).toHaveLength(2);
      expect(r[0]).toMatchObject({ op: 'create', path: `${base}/n${i}` });
      expect(r[1]).toMatchObject({ op: 'setData', stat: { version: 1 } });
    });
    const children = await zk.getChildren(base);
    expect(children).toHaveLength(100);
    expect(await dataOf(`${base}/n42`)).toBe('42+');
  });

  it('a sequential create inside a transaction returns the name the server gave', async () => {
    const base = `${root}/sequential`;
    await zk.create(base);
    await zk.create(`${base}/job-`, '', { mode: CreateMode.PERSISTENT_SEQUENTIAL });

    const [first, second] = await zk
      .multi()
      .create(`${base}/job-`, 'a', { mode: CreateMode.PERSISTENT_SEQUENTIAL })
      .create(`${base}/job-`, 'b', { mode: CreateMode.PERSISTENT_SEQUENTIAL })
      .commit();

    expect(first).toMatchObject({ op: 'create', path: `${base}/job-0000000001` });
    expect(second).toMatchObject({ op: 'create', path: `${base}/job-0000000002` });
    expect(await dataOf(`${base}/job-0000000002`)).toBe('b');
  });

  it('under a chroot, paths in and out of a transaction are relative to it', async () => {
    const base = `${root}/chrooted`;
    await zk.create(base);
    const chrooted = await ZkClient.connect({
      connectString: `${sharedConnectString()}${base}`,
      sessionTimeoutMs: 4_000,
    });
    try {
      const results = await chrooted
        .multi()
        .create('/item-', 'x', { mode: CreateMode.PERSISTENT_SEQUENTIAL })
        .create('/plain')
        .commit();
      expect(results.map((r) => (r.op === 'create' ? r.path : r.op))).toEqual([
        '/item-0000000000',
        '/plain',
      ]);
      const error = await chrooted
        .multi()
        .check('/plain', 5)
        .commit()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ index: 0, op: 'check', path: '/plain' });
    } finally {
      await chrooted.close();
    }
    expect(await zk.exists(`${base}/plain`)).not.toBeNull();
  });

  it('an empty transaction commits to no results', async () => {
    expect(await zk.multi().commit()).toEqual([]);
  });

  it('ops with invalid paths or arguments are refused when added, before anything is sent', () => {
    const tx = zk.multi();
    expect(() => tx.create('no-slash')).toThrow(InvalidPathError);
    expect(() => tx.delete(`${root}/trailing/`)).toThrow(InvalidPathError);
    expect(() => tx.setData(`${root}/a\u0001b`, 'x')).toThrow(InvalidPathError);
    expect(() => tx.check(`${root}/../up`, 0)).toThrow(InvalidPathError);
    expect(() => tx.create(`${root}/no-acl`, '', { acl: [] })).toThrow(/empty ACL/);
    expect(tx.size).toBe(0);
  });

  it('a transaction commits once', async () => {
    const tx = zk.multi().check(root, -1);
    expect(await tx.commit()).toEqual([{ op: 'check' }]);
    await expect(tx.commit()).rejects.toThrow(/committed already/);
    expect(() => tx.check(root, -1)).toThrow(/committed already/);
  });
});

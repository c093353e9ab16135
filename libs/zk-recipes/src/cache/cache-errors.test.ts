/**
 * What a cache does when a read or a listener fails (review zk-recipes F8), on the shared
 * ensemble: the nodes it may not read carry a real digest ACL, and the caches read through
 * a session without those credentials.
 */
import { digestAcl, NoAuthError, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ChildrenCache } from './children-cache';
import { CacheListenerError } from './errors';
import { NodeCache } from './node-cache';
import { TreeCache } from './tree-cache';
import { brief, freshTree, held, recordEvents } from './__tests__/event-log';

type Cache = NodeCache | ChildrenCache | TreeCache;

/** How a promise settled within `ms`: a promise that never settles shows as 'pending'. */
type Outcome = { resolved: unknown } | { rejected: unknown } | 'pending';

function outcomeWithin(promise: Promise<unknown>, ms: number): Promise<Outcome> {
  return new Promise((settle) => {
    const timer = setTimeout(() => settle('pending'), ms);
    promise.then(
      (value: unknown) => {
        clearTimeout(timer);
        settle({ resolved: value });
      },
      (reason: unknown) => {
        clearTimeout(timer);
        settle({ rejected: reason });
      },
    );
  });
}

describe('cache failures', () => {
  const root = testRoot();
  // A hang detector, not a pace: a cache starts in a few round trips.
  const startMs = 5_000;
  const aliceOnly = [digestAcl('alice', 'secret')];
  let owner: ZkClient;
  let reader: ZkClient;
  const caches: Cache[] = [];

  function track<C extends Cache>(cache: C): C {
    caches.push(cache);
    return cache;
  }

  /** The errors a cache reports. */
  function recordErrors(cache: Cache): Error[] {
    const errors: Error[] = [];
    cache.on('error', (error) => errors.push(error));
    return errors;
  }

  beforeAll(async () => {
    owner = await ZkClient.connect({ connectString: sharedConnectString() });
    reader = await ZkClient.connect({ connectString: sharedConnectString() });
    await owner.addAuth('digest', 'alice:secret');
    await owner.create(root);
  });

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });

  afterAll(async () => {
    await owner?.deleteRecursive(root);
    await Promise.all([owner?.close(), reader?.close()]);
  });

  it('start() rejects with NoAuthError when the cached path may not be read, and the cache closes', async () => {
    const guarded = `${root}/guarded`;
    await owner.create(guarded, 'for alice', { acl: aliceOnly });
    await owner.create(`${guarded}/child`, 'c', { acl: aliceOnly });

    for (const cache of [
      track(new NodeCache(reader, guarded)),
      track(new ChildrenCache(reader, guarded)),
      track(new TreeCache(reader, guarded)),
    ]) {
      const errors = recordErrors(cache);
      const outcome = await outcomeWithin(cache.start(), startMs);
      const failure =
        typeof outcome === 'object' && 'rejected' in outcome ? outcome.rejected : null;
      const seen = failure instanceof NoAuthError ? 'rejected with NoAuthError' : outcome;
      const name = cache.constructor.name;
      expect({ cache: name, start: seen }).toEqual({
        cache: name,
        start: 'rejected with NoAuthError',
      });
      expect(failure).toMatchObject({ path: guarded });
      expect(cache.state).toBe('CLOSED');
      expect(cache.entries()).toEqual([]);
      expect(errors).toEqual([]); // the rejection is the report
    }
  });

  it('a ChildrenCache leaves out the one child it may not read, reports it, and caches the rest', async () => {
    const parent = `${root}/children`;
    await owner.create(parent);
    for (const name of ['a', 'b']) await owner.create(`${parent}/${name}`, name);
    await owner.create(`${parent}/secret`, 'hidden', { acl: aliceOnly });
    await owner.create(`${parent}/c`, 'c');

    const children = track(new ChildrenCache(reader, parent));
    const errors = recordErrors(children);
    const events = recordEvents(children);
    expect(await outcomeWithin(children.start(), startMs)).toEqual({ resolved: undefined });
    expect(children.names()).toEqual(['a', 'b', 'c']);
    expect(errors).toEqual([expect.any(NoAuthError)]);
    expect(errors[0]).toMatchObject({ op: 'getData', path: `${parent}/secret` });

    // It goes on caching the readable children.
    await owner.create(`${parent}/d`, 'd');
    await owner.setData(`${parent}/a`, 'a1');
    await events.until('d added and a updated', (e) => e.length === 6);
    expect(brief(events.items)).toEqual([
      ['added', `${parent}/a`, 0, 'a'],
      ['added', `${parent}/b`, 0, 'b'],
      ['added', `${parent}/c`, 0, 'c'],
      ['initialized', ''],
      ['added', `${parent}/d`, 0, 'd'],
      ['updated', `${parent}/a`, 1, 'a1'],
    ]);
    expect(children.names()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a TreeCache leaves out the subtree it may not read, reports it, and caches the rest', async () => {
    const top = `${root}/tree`;
    await owner.create(top, 'top');
    await owner.create(`${top}/x`, 'x');
    await owner.create(`${top}/x/y`, 'y');
    await owner.create(`${top}/secret`, 'hidden', { acl: aliceOnly });
    await owner.create(`${top}/secret/inner`, 'hidden too', { acl: aliceOnly });

    const tree = track(new TreeCache(reader, top));
    const errors = recordErrors(tree);
    const events = recordEvents(tree);
    expect(await outcomeWithin(tree.start(), startMs)).toEqual({ resolved: undefined });
    expect(tree.entries().map((node) => node.path)).toEqual([top, `${top}/x`, `${top}/x/y`]);
    expect(errors).toEqual([expect.any(NoAuthError)]);
    expect(errors[0]).toMatchObject({ op: 'getData', path: `${top}/secret` });

    await owner.create(`${top}/x/z`, 'z');
    await events.until('x/z added', (e) => e.some((s) => s.path === `${top}/x/z`));
    expect(tree.children(`${top}/x`)).toEqual(['y', 'z']);
  });

  it('a throwing listener neither corrupts the cache nor keeps events from the other listeners', async () => {
    const parent = `${root}/listeners`;
    await owner.create(parent);
    const children = track(new ChildrenCache(reader, parent));
    // Registered before the recorder: on emit() it would stop it from hearing anything.
    children.on('added', (node) => {
      throw new Error(`added listener bug at ${node.path}`);
    });
    const events = recordEvents(children);
    const errors = recordErrors(children);
    expect(await outcomeWithin(children.start(), startMs)).toEqual({ resolved: undefined });

    // Three children in one transaction: one listing, three additions in one task.
    await owner
      .multi()
      .create(`${parent}/a`, 'a')
      .create(`${parent}/b`, 'b')
      .create(`${parent}/c`, 'c')
      .commit();
    await events.until('a, b and c added', (e) => e.length === 4);
    await owner.setData(`${parent}/b`, 'b1');
    await owner.delete(`${parent}/a`);
    await events.until('b updated and a removed', (e) => e.length === 6);

    expect(brief(events.items)).toEqual([
      ['initialized', ''],
      ['added', `${parent}/a`, 0, 'a'],
      ['added', `${parent}/b`, 0, 'b'],
      ['added', `${parent}/c`, 0, 'c'],
      ['updated', `${parent}/b`, 1, 'b1'],
      ['removed', `${parent}/a`, 0, 'a'],
    ]);
    const server = (await freshTree(owner, parent)).filter((node) => node.path !== parent);
    expect(held(children.entries())).toEqual(server);
    // Each throw was reported once, apart, after the cache had gone on.
    expect(errors.map((error) => [error instanceof CacheListenerError, error.message])).toEqual([
      [true, `a cache 'added' listener threw: Error: added listener bug at ${parent}/a`],
      [true, `a cache 'added' listener threw: Error: added listener bug at ${parent}/b`],
      [true, `a cache 'added' listener threw: Error: added listener bug at ${parent}/c`],
    ]);
  });

  it('a throwing initialized listener does not keep start() from resolving', async () => {
    const node = `${root}/initialized`;
    await owner.create(node, 'n');
    const cache = track(new NodeCache(reader, node));
    cache.on('initialized', () => {
      throw new Error('initialized listener bug');
    });
    const events = recordEvents(cache);
    const errors = recordErrors(cache);
    expect(await outcomeWithin(cache.start(), startMs)).toEqual({ resolved: undefined });
    expect(brief(events.items)).toEqual([
      ['added', node, 0, 'n'],
      ['initialized', ''],
    ]);
    await owner.setData(node, 'n1');
    await events.until('n updated', (e) => e.length === 3);
    expect(cache.current()?.data.toString()).toBe('n1');
    expect(errors).toEqual([expect.any(CacheListenerError)]);
    expect(errors[0]).toMatchObject({
      event: 'initialized',
      message: "a cache 'initialized' listener threw: Error: initialized listener bug",
    });
  });
});

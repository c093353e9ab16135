import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ChildrenCache } from './children-cache';
import {
  brief,
  freshTree,
  held,
  isIncreasing,
  recordEvents,
  versionsByNode,
} from './__tests__/event-log';

describe('ChildrenCache', () => {
  const root = testRoot();
  let client: ZkClient;
  let writer: ZkClient;
  const caches: ChildrenCache[] = [];

  function cache(path: string): ChildrenCache {
    const created = new ChildrenCache(client, path);
    caches.push(created);
    return created;
  }

  beforeAll(async () => {
    client = await ZkClient.connect({ connectString: sharedConnectString() });
    writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(root);
  });

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await writer.deleteRecursive(root);
    await Promise.all([client.close(), writer.close()]);
  });

  it('lists the children already there, in creation order, then says initialized', async () => {
    const parent = `${root}/initial`;
    await writer.create(parent, 'parent data is not cached');
    for (const name of ['zeta', 'alpha', 'mid']) await writer.create(`${parent}/${name}`, name);
    await writer.create(`${parent}/alpha/grandchild`, 'not a child');

    const children = cache(parent);
    const events = recordEvents(children);
    await children.start();

    expect(brief(events.items)).toEqual([
      ['added', `${parent}/zeta`, 0, 'zeta'],
      ['added', `${parent}/alpha`, 0, 'alpha'],
      ['added', `${parent}/mid`, 0, 'mid'],
      ['initialized', ''],
    ]);
    expect(children.names()).toEqual(['alpha', 'mid', 'zeta']);
    expect(children.get(`${parent}/alpha/grandchild`)).toBeUndefined();
  });

  it('reports each child added, written and deleted, in order, and nothing deeper', async () => {
    const parent = `${root}/changes`;
    await writer.create(parent);
    const children = cache(parent);
    const events = recordEvents(children);
    await children.start();

    await writer.create(`${parent}/a`, 'a0');
    await events.until('a added', (e) => e.length === 2);
    await writer.create(`${parent}/b`, 'b0');
    await events.until('b added', (e) => e.length === 3);
    await writer.setData(`${parent}/a`, 'a1');
    await events.until('a updated', (e) => e.length === 4);
    await writer.create(`${parent}/a/deeper`, 'ignored');
    await writer.setData(`${parent}/a/deeper`, 'ignored too');
    await writer.delete(`${parent}/b`);
    await events.until('b removed', (e) => e.length === 5);

    expect(brief(events.items)).toEqual([
      ['initialized', ''],
      ['added', `${parent}/a`, 0, 'a0'],
      ['added', `${parent}/b`, 0, 'b0'],
      ['updated', `${parent}/a`, 1, 'a1'],
      ['removed', `${parent}/b`, 0, 'b0'],
    ]);
    expect(children.names()).toEqual(['a']);
  });

  it('waits for a parent that does not exist yet, and empties when it is deleted', async () => {
    const parent = `${root}/later`;
    const children = cache(parent);
    const events = recordEvents(children);
    await children.start();
    expect(children.entries()).toEqual([]);

    await writer.create(parent);
    await writer.create(`${parent}/x`, 'x');
    await events.until('x added', (e) => e.some((s) => s.type === 'added'));
    await writer.deleteRecursive(parent);
    await events.until('x removed', (e) => e.some((s) => s.type === 'removed'));
    await writer.create(parent);
    await writer.create(`${parent}/y`, 'y');
    await events.until('y added', (e) => e.filter((s) => s.type === 'added').length === 2);

    expect(brief(events.items)).toEqual([
      ['initialized', ''],
      ['added', `${parent}/x`, 0, 'x'],
      ['removed', `${parent}/x`, 0, 'x'],
      ['added', `${parent}/y`, 0, 'y'],
    ]);
  });

  it('ends equal to the server after a burst of concurrent changes, versions only going up', async () => {
    const parent = `${root}/burst`;
    await writer.create(parent);
    const children = cache(parent);
    const events = recordEvents(children);
    await children.start();

    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) work.push(writer.create(`${parent}/n${i}`, '0'));
    await Promise.all(work.splice(0));
    for (let round = 1; round <= 5; round++) {
      for (let i = 0; i < 10; i++) work.push(writer.setData(`${parent}/n${i}`, String(round)));
    }
    for (let i = 0; i < 10; i += 3) work.push(writer.delete(`${parent}/n${i}`));
    await Promise.all(work);

    const expected = (await freshTree(writer, parent)).filter((n) => n.path !== parent);
    await events.until(
      'the cache to equal the server',
      () => JSON.stringify(held(children.entries()), big) === JSON.stringify(expected, big),
    );
    for (const [node, versions] of versionsByNode(events.items)) {
      expect({ node, increasing: isIncreasing(versions) }).toEqual({ node, increasing: true });
    }
  });
});

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

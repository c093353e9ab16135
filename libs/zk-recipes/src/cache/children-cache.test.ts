import { ChildrenCache } from './children-cache';
import { useCacheFixture } from './__tests__/cache-fixture';
import {
  brief,
  freshTree,
  held,
  isIncreasing,
  recordEvents,
  versionsByNode,
} from './__tests__/event-log';

describe('ChildrenCache', () => {
  const fixture = useCacheFixture((client, path) => new ChildrenCache(client, path));
  const { root, cache } = fixture;

  it('lists the children already there, in creation order, then says initialized', async () => {
    const parent = `${root}/initial`;
    await fixture.writer.create(parent, 'parent data is not cached');
    for (const name of ['zeta', 'alpha', 'mid'])
      await fixture.writer.create(`${parent}/${name}`, name);
    await fixture.writer.create(`${parent}/alpha/grandchild`, 'not a child');

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
    await fixture.writer.create(parent);
    const children = cache(parent);
    const events = recordEvents(children);
    await children.start();

    await fixture.writer.create(`${parent}/a`, 'a0');
    await events.until('a added', (e) => e.length === 2);
    await fixture.writer.create(`${parent}/b`, 'b0');
    await events.until('b added', (e) => e.length === 3);
    await fixture.writer.setData(`${parent}/a`, 'a1');
    await events.until('a updated', (e) => e.length === 4);
    await fixture.writer.create(`${parent}/a/deeper`, 'ignored');
    await fixture.writer.setData(`${parent}/a/deeper`, 'ignored too');
    await fixture.writer.delete(`${parent}/b`);
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

    await fixture.writer.create(parent);
    await fixture.writer.create(`${parent}/x`, 'x');
    await events.until('x added', (e) => e.some((s) => s.type === 'added'));
    await fixture.writer.deleteRecursive(parent);
    await events.until('x removed', (e) => e.some((s) => s.type === 'removed'));
    await fixture.writer.create(parent);
    await fixture.writer.create(`${parent}/y`, 'y');
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
    await fixture.writer.create(parent);
    const children = cache(parent);
    const events = recordEvents(children);
    await children.start();

    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) work.push(fixture.writer.create(`${parent}/n${i}`, '0'));
    await Promise.all(work.splice(0));
    for (let round = 1; round <= 5; round++) {
      for (let i = 0; i < 10; i++)
        work.push(fixture.writer.setData(`${parent}/n${i}`, String(round)));
    }
    for (let i = 0; i < 10; i += 3) work.push(fixture.writer.delete(`${parent}/n${i}`));
    await Promise.all(work);

    const expected = (await freshTree(fixture.writer, parent)).filter((n) => n.path !== parent);
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

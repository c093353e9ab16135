import { RecipeStateError } from '../common/lifecycle';
import { TreeCache } from './tree-cache';
import { useCacheFixture } from './__tests__/cache-fixture';
import {
  brief,
  freshTree,
  held,
  isIncreasing,
  recordEvents,
  versionsByNode,
} from './__tests__/event-log';

describe('TreeCache', () => {
  const fixture = useCacheFixture((client, path) => new TreeCache(client, path));
  const { root, cache } = fixture;

  it('reads a nested tree at start: parents before children, then initialized', async () => {
    const top = `${root}/nested`;
    await fixture.writer.create(top, 'top');
    await fixture.writer.create(`${top}/b`, 'b');
    await fixture.writer.create(`${top}/a`, 'a');
    await fixture.writer.create(`${top}/a/x`, 'ax');
    await fixture.writer.create(`${top}/a/x/deep`, 'deep');
    await fixture.writer.setData(top, 'top written after its children');

    const tree = cache(top);
    const events = recordEvents(tree);
    await tree.start();

    expect(brief(events.items)).toEqual([
      ['added', top, 1, 'top written after its children'],
      ['added', `${top}/b`, 0, 'b'],
      ['added', `${top}/a`, 0, 'a'],
      ['added', `${top}/a/x`, 0, 'ax'],
      ['added', `${top}/a/x/deep`, 0, 'deep'],
      ['initialized', ''],
    ]);
    expect(tree.children(top)).toEqual(['a', 'b']);
    expect(tree.children(`${top}/a`)).toEqual(['x']);
    expect(tree.get(`${top}/a/x/deep`)?.data.toString()).toBe('deep');
    expect(held(tree.entries())).toEqual(await freshTree(fixture.writer, top));
  });

  it('reports every change anywhere in the tree, in the order it was made', async () => {
    const top = `${root}/changes`;
    await fixture.writer.create(top);
    const tree = cache(top);
    const events = recordEvents(tree);
    await tree.start();

    // One change at a time, each awaited in the cache: every change is its own event.
    const steps: [() => Promise<unknown>, string][] = [
      [() => fixture.writer.create(`${top}/a`, 'a0'), 'added a'],
      [() => fixture.writer.create(`${top}/a/b`, 'b0'), 'added a/b'],
      [() => fixture.writer.create(`${top}/a/b/c`, 'c0'), 'added a/b/c'],
      [() => fixture.writer.setData(`${top}/a/b/c`, 'c1'), 'updated a/b/c'],
      [() => fixture.writer.setData(`${top}/a`, 'a1'), 'updated a'],
      [() => fixture.writer.delete(`${top}/a/b/c`), 'removed a/b/c'],
      [() => fixture.writer.create(`${top}/a/b/c`, 'c-again'), 'added a/b/c again'],
      [() => fixture.writer.setData(top, 'top1'), 'updated the root'],
    ];
    for (const [index, [step, what]] of steps.entries()) {
      await step();
      await events.until(what, (e) => e.length === index + 3);
    }
    // Deleting a subtree: children first, as the server does it.
    await fixture.writer.deleteRecursive(`${top}/a`);
    await events.until('the subtree removed', (e) => e.length === steps.length + 5);

    expect(brief(events.items)).toEqual([
      ['added', top, 0, ''],
      ['initialized', ''],
      ['added', `${top}/a`, 0, 'a0'],
      ['added', `${top}/a/b`, 0, 'b0'],
      ['added', `${top}/a/b/c`, 0, 'c0'],
      ['updated', `${top}/a/b/c`, 1, 'c1'],
      ['updated', `${top}/a`, 1, 'a1'],
      ['removed', `${top}/a/b/c`, 1, 'c1'],
      ['added', `${top}/a/b/c`, 0, 'c-again'],
      ['updated', top, 1, 'top1'],
      ['removed', `${top}/a/b/c`, 0, 'c-again'],
      ['removed', `${top}/a/b`, 0, 'b0'],
      ['removed', `${top}/a`, 1, 'a1'],
    ]);
    expect(held(tree.entries())).toEqual(await freshTree(fixture.writer, top));
  });

  it('follows a root that does not exist yet, and its deletion', async () => {
    const top = `${root}/absent`;
    const tree = cache(top);
    const events = recordEvents(tree);
    await tree.start();
    expect(tree.entries()).toEqual([]);

    await fixture.writer.create(top, 'now');
    await fixture.writer.create(`${top}/child`, 'c');
    await events.until('both added', (e) => e.length === 3);
    await fixture.writer.deleteRecursive(top);
    await events.until('both removed', (e) => e.length === 5);

    expect(brief(events.items)).toEqual([
      ['initialized', ''],
      ['added', top, 0, 'now'],
      ['added', `${top}/child`, 0, 'c'],
      ['removed', `${top}/child`, 0, 'c'],
      ['removed', top, 0, 'now'],
    ]);
    expect(tree.entries()).toEqual([]);
  });

  it('ends equal to the server after a burst across the tree, versions only going up', async () => {
    const top = `${root}/burst`;
    await fixture.writer.create(top);
    const tree = cache(top);
    const events = recordEvents(tree);
    await tree.start();

    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 8; i++) {
      work.push(fixture.writer.create(`${top}/p${i}`, 'p'));
      work.push(fixture.writer.create(`${top}/p${i}/q`, 'q'));
      work.push(fixture.writer.create(`${top}/p${i}/q/r`, 'r'));
    }
    await Promise.all(work.splice(0));
    for (let round = 1; round <= 4; round++) {
      for (let i = 0; i < 8; i++)
        work.push(fixture.writer.setData(`${top}/p${i}/q/r`, `r${round}`));
    }
    for (let i = 0; i < 8; i += 2) work.push(fixture.writer.deleteRecursive(`${top}/p${i}`));
    await Promise.all(work);

    const expected = await freshTree(fixture.writer, top);
    await events.until(
      'the cache to equal the server',
      () => JSON.stringify(held(tree.entries()), big) === JSON.stringify(expected, big),
    );
    for (const [node, versions] of versionsByNode(events.items)) {
      expect({ node, increasing: isIncreasing(versions) }).toEqual({ node, increasing: true });
    }
    // A node is never reported before its parent.
    const added = events.items.filter((e) => e.type === 'added').map((e) => e.path);
    for (const [index, path] of added.entries()) {
      const parent = path.slice(0, path.lastIndexOf('/'));
      if (parent.startsWith(top) && parent !== top) {
        expect(added.slice(0, index)).toContain(parent);
      }
    }
  });

  it('has one lifecycle and removes its watch at close', async () => {
    const top = `${root}/lifecycle`;
    const tree = cache(top);
    const events = recordEvents(tree);
    await tree.start();
    await expect(tree.start()).rejects.toThrow(RecipeStateError);
    await tree.close();
    await tree.close();
    expect(tree.state).toBe('CLOSED');
    await fixture.writer.create(top, 'unheard');
    await fixture.client.sync(top);
    expect(brief(events.items)).toEqual([['initialized', '']]);
  });
});

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

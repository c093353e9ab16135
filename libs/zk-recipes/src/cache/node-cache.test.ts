import { RecipeStateError } from '../common/lifecycle';
import { useCacheFixture } from './__tests__/cache-fixture';
import { brief, isIncreasing, recordEvents, versionsByNode } from './__tests__/event-log';
import { NodeCache } from './node-cache';

describe('NodeCache', () => {
  const fixture = useCacheFixture((client, path) => new NodeCache(client, path));
  const { root, cache } = fixture;

  it('follows a node through creation, writes, deletion and a new creation, in order', async () => {
    const path = `${root}/life`;
    const node = cache(path);
    const events = recordEvents(node);
    await node.start();
    expect(node.current()).toBeUndefined();
    expect(brief(events.items)).toEqual([['initialized', '']]);

    await fixture.writer.create(path, 'one');
    await events.until('added', (e) => e.length === 2);
    await fixture.writer.setData(path, 'two');
    await events.until('updated', (e) => e.length === 3);
    await fixture.writer.delete(path);
    await events.until('removed', (e) => e.length === 4);
    await fixture.writer.create(path, 'again');
    await events.until('added again', (e) => e.length === 5);

    expect(brief(events.items)).toEqual([
      ['initialized', ''],
      ['added', path, 0, 'one'],
      ['updated', path, 1, 'two'],
      ['removed', path, 1, 'two'],
      ['added', path, 0, 'again'],
    ]);
    expect(node.current()?.data.toString()).toBe('again');
    expect(node.entries().map((n) => n.path)).toEqual([path]);
  });

  it('reports a node that already exists as added before initialized', async () => {
    const path = `${root}/existing`;
    await fixture.writer.create(path, 'here');
    const node = cache(path);
    const events = recordEvents(node);
    await node.start();
    expect(brief(events.items)).toEqual([
      ['added', path, 0, 'here'],
      ['initialized', ''],
    ]);
    expect(node.get(path)?.data.toString()).toBe('here');
    expect(node.isInitialized).toBe(true);
  });

  it('ends on the last write of a burst, with versions that only go up', async () => {
    const path = `${root}/burst`;
    await fixture.writer.create(path, '0');
    const node = cache(path);
    const events = recordEvents(node);
    await node.start();
    const writes = Array.from({ length: 30 }, (_, i) =>
      fixture.writer.setData(path, String(i + 1)),
    );
    await Promise.all(writes);
    await events.until('the last write', () => node.current()?.stat.version === 30);

    expect(node.current()?.data.toString()).toBe('30');
    const versions = [...versionsByNode(events.items).values()];
    expect(versions).toHaveLength(1);
    expect(isIncreasing(versions[0] ?? [])).toBe(true);
    expect(versions[0]?.at(-1)).toBe(30);
  });

  it('has one lifecycle: start once, close idempotent, no event after close', async () => {
    const path = `${root}/lifecycle`;
    const node = cache(path);
    const events = recordEvents(node);
    expect(node.state).toBe('LATENT');
    await node.start();
    expect(node.state).toBe('STARTED');
    await expect(node.start()).rejects.toThrow(RecipeStateError);
    await node.close();
    await node.close();
    expect(node.state).toBe('CLOSED');
    await expect(node.start()).rejects.toThrow(RecipeStateError);

    // The one-shot watch armed before close fires, unheard.
    await fixture.writer.create(path, 'late');
    await fixture.writer.sync(path);
    await fixture.client.sync(path);
    expect(brief(events.items)).toEqual([['initialized', '']]);
  });
});

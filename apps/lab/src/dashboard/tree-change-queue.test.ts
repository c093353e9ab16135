import type { TreeChange } from '@zk-lab/dashboard';
import { MAX_BATCH, MAX_PENDING, TreeChangeQueue } from './tree-change-queue';

const change = (kind: TreeChange['kind'], path: string): TreeChange => ({ kind, path, node: null });

describe("a slow page's tree changes", () => {
  it('a page that keeps up gets every change, in order, nothing dropped', () => {
    const queue = new TreeChangeQueue();
    const sent = [change('created', '/a'), change('changed', '/a'), change('deleted', '/a')];
    for (const c of sent) queue.push(c);
    expect(queue.take()).toEqual({ changes: sent, dropped: 0, reload: false });
    expect(queue.take()).toBeNull();
  });

  it('one that falls behind gets one change per path, how the node ends up, and the count dropped', () => {
    const queue = new TreeChangeQueue();
    queue.push(change('changed', '/kept'));
    queue.push(change('created', '/gone-again'));
    for (let i = 0; i < MAX_BATCH; i += 1) queue.push(change('changed', '/busy'));
    queue.push(change('deleted', '/gone-again'));
    queue.push(change('deleted', '/kept'));
    queue.push(change('created', '/kept'));
    const batch = queue.take();
    expect(batch?.changes).toEqual([change('changed', '/kept'), change('changed', '/busy')]);
    expect(batch?.dropped).toBe(MAX_BATCH + 5 - 2);
    expect(batch?.reload).toBe(false);
  });

  it('past MAX_PENDING distinct paths it forgets them and asks the page to reload', () => {
    const queue = new TreeChangeQueue();
    for (let i = 0; i <= MAX_PENDING; i += 1) queue.push(change('created', `/n${i}`));
    expect(queue.take()).toEqual({ changes: [], dropped: MAX_PENDING + 1, reload: true });
    queue.push(change('created', '/after'));
    expect(queue.take()).toEqual({
      changes: [change('created', '/after')],
      dropped: 0,
      reload: false,
    });
  });
});

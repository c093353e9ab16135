import type { TreeChange } from '@zk-lab/dashboard';
import { MAX_BATCH, MAX_PENDING, TreeChangeQueue } from './tree-change-queue';

let seq = 0;
const change = (kind: TreeChange['kind'], path: string): TreeChange => ({
  kind,
  path,
  seq: ++seq,
  node: null,
});
const like = (kind: TreeChange['kind'], path: string) => ({ kind, path });

describe("a slow page's tree changes", () => {
  it('a page that keeps up gets every change, in order, nothing dropped', () => {
    const queue = new TreeChangeQueue();
    const sent = [change('created', '/a'), change('changed', '/a'), change('deleted', '/a')];
    for (const c of sent) queue.push(c);
    expect(queue.take()).toEqual({ changes: sent, dropped: 0, reload: false });
    expect(queue.take()).toBeNull();
  });

  it('one that falls behind gets how each node ends up, with the number of its last change, and the count dropped', () => {
    const queue = new TreeChangeQueue();
    queue.push(change('changed', '/kept'));
    queue.push(change('created', '/gone-again'));
    for (let i = 0; i < MAX_BATCH; i += 1) queue.push(change('changed', '/busy'));
    const lastBusy = seq;
    queue.push(change('deleted', '/gone-again'));
    const batch = queue.take();
    expect(batch?.changes).toMatchObject([
      like('changed', '/kept'),
      // Sent, so that a page that loaded it in between drops it (one that did not ignores it).
      { ...like('deleted', '/gone-again'), seq: lastBusy + 1 },
      { ...like('changed', '/busy'), seq: lastBusy },
    ]);
    expect(batch?.dropped).toBe(MAX_BATCH + 3 - 3);
    expect(batch?.reload).toBe(false);
  });

  it("a node deleted and created again stays a deletion and a creation when coalesced (the page's replaced row)", () => {
    const queue = new TreeChangeQueue();
    queue.push(change('changed', '/workers/w1'));
    for (let i = 0; i < MAX_BATCH; i += 1) queue.push(change('changed', '/busy'));
    queue.push(change('deleted', '/workers/w1'));
    queue.push(change('created', '/workers/w1'));
    queue.push(change('changed', '/workers/w1'));
    expect(queue.take()?.changes).toMatchObject([
      like('deleted', '/workers/w1'),
      { ...like('created', '/workers/w1'), seq },
      like('changed', '/busy'),
    ]);
  });

  it('past MAX_PENDING distinct paths it forgets them and asks the page to reload', () => {
    const queue = new TreeChangeQueue();
    for (let i = 0; i <= MAX_PENDING; i += 1) queue.push(change('created', `/n${i}`));
    expect(queue.take()).toEqual({ changes: [], dropped: MAX_PENDING + 1, reload: true });
    const after = change('created', '/after');
    queue.push(after);
    expect(queue.take()).toEqual({
      changes: [after],
      dropped: 0,
      reload: false,
    });
  });
});

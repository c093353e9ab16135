import type { TreeChange } from '@zk-lab/dashboard';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { LiveTree, type TreeListener } from './live-tree';

describe("the dashboard's live tree", () => {
  const root = testRoot();
  let writer: ZkClient;
  let client: ZkClient;

  beforeAll(async () => {
    writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(`${root}/app`);
    client = await ZkClient.connect({ connectString: sharedConnectString() });
  });

  afterAll(async () => {
    await client.close();
    await writer.deleteRecursive(root);
    await writer.close();
  });

  it("a page's listener that throws neither stops the others nor escapes the tree", async () => {
    const log: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const tree = new LiveTree(client, root, (line) => log.push(line));
    try {
      await tree.start();
      const failing: TreeListener = {
        change: () => {
          throw new Error('this page is broken');
        },
        reloaded: () => undefined,
        counted: () => {
          throw new Error('this page is broken');
        },
      };
      const seen: TreeChange[] = [];
      tree.subscribe(failing);
      tree.subscribe({
        change: (c) => seen.push(c),
        reloaded: () => undefined,
        counted: () => undefined,
      });
      await writer.create(`${root}/app/w1`);
      await waitFor('the change at the second page', () => seen.length > 0, 5_000);
      expect(seen[0]).toMatchObject({ path: `${root}/app/w1`, kind: 'created' });
      expect(log.join('\n')).toMatch(/listener failed: this page is broken/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await tree.stop();
    }
  });

  it('numbers its changes, and a page of children says up to which one it holds', async () => {
    const tree = new LiveTree(client, root, () => undefined);
    try {
      await tree.start();
      const seen: TreeChange[] = [];
      tree.subscribe({
        change: (c) => seen.push(c),
        reloaded: () => undefined,
        counted: () => undefined,
      });
      await writer.create(`${root}/app/before`);
      await waitFor('the first change', () => seen.length === 1, 5_000);
      const page = tree.children(`${root}/app`, 0, 100);
      await writer.create(`${root}/app/after`);
      await waitFor('the second change', () => seen.length === 2, 5_000);
      const [before, after] = seen as [TreeChange, TreeChange];
      expect(page?.seq).toBe(before.seq);
      expect(after.seq).toBe(before.seq + 1);
      expect(page?.children.map((c) => c.name)).toContain('before');
      expect(page?.children.map((c) => c.name)).not.toContain('after');
      expect(tree.children(`${root}/app`, 0, 100)?.seq).toBe(after.seq);
    } finally {
      await tree.stop();
    }
  });
});

import { registeredWatchPaths, sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { type MirrorListener, SubtreeMirror } from './subtree-mirror';
import { ZnodeTree } from './znode-tree';

/** A tree whose next `failures` loads fail as they begin (as a load fails on a lost reply). */
class FailingTree extends ZnodeTree {
  loadsBegun = 0;
  constructor(
    root: string,
    private failures: number,
  ) {
    super({ root });
  }

  override beginReload(): void {
    this.loadsBegun += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('this load fails');
    }
    super.beginReload();
  }
}

const quiet: MirrorListener = {
  arrived: () => undefined,
  settled: () => undefined,
  note: () => undefined,
};

describe('the subtree mirror on a shared client', () => {
  const root = testRoot();
  let client: ZkClient;

  beforeAll(async () => {
    client = await ZkClient.connect({ connectString: sharedConnectString() });
    await client.ensurePath(`${root}/a/b`);
  });

  afterAll(async () => {
    await client.deleteRecursive(root);
    await client.close();
  });

  it('a start that fails leaves nothing on the client: no state listener, no watch', async () => {
    const listeners = client.listenerCount('state');
    const mirror = new SubtreeMirror(client, new FailingTree(root, 1), quiet);
    await expect(mirror.start()).rejects.toThrow('this load fails');
    expect(client.listenerCount('state')).toBe(listeners);
    expect(registeredWatchPaths(client, root)).toEqual([]);
  });

  it('a load that fails runs again when another was asked for meanwhile', async () => {
    const tree = new FailingTree(root, 1);
    const mirror = new SubtreeMirror(client, tree, quiet);
    const first = mirror.reload();
    const second = mirror.reload(); // asked while the first runs
    await Promise.all([first, second]);
    expect(tree.loadsBegun).toBe(2);
    expect(tree.get(`${root}/a/b`)).toBeDefined();
  });

  it('stop resolves only once the load under way has ended', async () => {
    const tree = new ZnodeTree({ root });
    const mirror = new SubtreeMirror(client, tree, quiet);
    await mirror.start();
    void mirror.reload();
    expect(mirror.isLoading).toBe(true);
    await mirror.stop();
    expect(mirror.isLoading).toBe(false);
    expect(registeredWatchPaths(client, root)).toEqual([]);
  });
});

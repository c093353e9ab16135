/**
 * A lock acquisition whose create the server applied but whose answer was lost with the
 * connection (the fault proxy drops the reply and cuts the link): the waiter finds its node
 * by its protected prefix and holds on it. From a fresh client: one node, then none after
 * the release. A second create would leave an orphan that blocks every later waiter.
 */
import { ZkOpType, sharedConnectString, testRoot, useFaultProxy } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { connectViaProxy } from '../../../zk-client/src/__tests__/via-proxy';
import { DistributedLock } from './distributed-lock';

describe('a lock acquisition whose answer is lost', () => {
  const root = testRoot();
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  const locks: DistributedLock[] = [];
  let checker: ZkClient;

  beforeAll(async () => {
    checker = await ZkClient.connect({ connectString: sharedConnectString() });
    await checker.ensurePath(root);
  });

  afterEach(async () => {
    await Promise.all(locks.splice(0).map((lock) => lock.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  afterAll(async () => {
    await checker.deleteRecursive(root);
    await checker.close();
  });

  async function nodesOf(path: string): Promise<string[]> {
    await checker.sync(path);
    return checker.getChildren(path);
  }

  it('holds on the one node it made, and leaves none after release', async () => {
    const client = await connectViaProxy(proxy(), 'lock-lost-reply', 4_000);
    clients.push(client);
    const path = `${root}/lost-reply`;
    const lock = new DistributedLock(client, path);
    await lock.start();
    locks.push(lock);
    await client.ensurePath(path); // so the create is the lock's first write
    const dropped = proxy().dropNextReply('lock-lost-reply', {
      opTypes: [ZkOpType.create, ZkOpType.create2],
    });
    const acquiring = lock.acquire({ timeoutMs: 10_000 });
    await dropped;
    const lease = await acquiring;
    const nodes = await nodesOf(path);
    expect(nodes).toEqual([lease.node.slice(lease.node.lastIndexOf('/') + 1)]);
    expect((await checker.exists(`${path}/${nodes[0]}`))?.ephemeralOwner).toBe(client.sessionId);
    await lease.release();
    expect(await nodesOf(path)).toEqual([]);
  });
});

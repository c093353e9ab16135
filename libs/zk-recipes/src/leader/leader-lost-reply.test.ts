/**
 * A LeaderLatch join whose create the server applied but whose answer was lost with the
 * connection (the fault proxy drops the reply and cuts the link): the latch finds its node
 * by its protected prefix and leads on it. From a fresh client: one node in the election,
 * owned by the latch's session; none once it closes. A second node would stall every
 * participant behind it.
 */
import { sharedConnectString, testRoot, useFaultProxy, ZkOpType } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { connectViaProxy } from '../../../zk-client/src/__tests__/via-proxy';
import { LeaderLatch } from './leader-latch';

describe('a LeaderLatch join whose answer is lost', () => {
  const root = testRoot();
  const { proxy } = useFaultProxy();
  const opened: { close(): Promise<void> }[] = [];
  let admin: ZkClient;

  beforeAll(async () => {
    admin = await ZkClient.connect({ connectString: sharedConnectString() });
  });

  afterEach(async () => {
    for (const closable of opened.splice(0)) await closable.close();
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await admin.close();
  });

  it('leads on the one node it made, and leaves none when closed', async () => {
    const client = await connectViaProxy(proxy(), 'latch-lost-reply', 10_000);
    opened.push(client);
    const path = `${root}/election`;
    await client.ensurePath(path); // so the create is the latch's first write
    const latch = new LeaderLatch(client, path, { id: 'only' });
    opened.unshift(latch);
    const dropped = proxy().dropNextReply('latch-lost-reply', {
      opTypes: [ZkOpType.create, ZkOpType.create2],
    });
    await latch.start();
    await dropped;
    const leadership = await latch.await({ timeoutMs: 10_000 });
    await admin.sync(path);
    const nodes = await admin.getChildren(path);
    expect(nodes.map((name) => `${path}/${name}`)).toEqual([leadership.nodePath]);
    expect((await admin.exists(leadership.nodePath))?.ephemeralOwner).toBe(client.sessionId);
    await latch.close();
    await admin.sync(path);
    expect(await admin.getChildren(path)).toEqual([]);
  });
});

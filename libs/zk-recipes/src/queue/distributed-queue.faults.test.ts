/**
 * QueueItem.complete() when its transaction's answer is lost with the connection (review
 * zk-recipes F4(b)): it says COMPLETED only when the item is gone. On the shared ensemble,
 * the consumer's client through a fault-proxy link of its own.
 */
import { randomBytes } from 'node:crypto';
import { ConnectionLossError, type Transaction, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, useFaultProxy, ZkOpType } from '@zk-lab/test';
import { connectViaProxy } from '../../../zk-client/src/__tests__/via-proxy';
import { DistributedQueue, type QueueItem } from './distributed-queue';
import { ClaimLostError } from './errors';

describe('QueueItem.complete() after a lost connection', () => {
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

  /** A consumer through link `link`, on a fresh queue that holds one item. */
  async function queueWithOne(link: string) {
    const client = await connectViaProxy(proxy(), link, 10_000);
    opened.push(client);
    const path = `${root}/queue-${randomBytes(4).toString('hex')}`;
    const queue = new DistributedQueue(client, path);
    opened.unshift(queue);
    await queue.start();
    await queue.put('job');
    return { client, path, queue };
  }

  /** A consumer through link `link`, holding the one item of a fresh queue. */
  async function holdOne(link: string) {
    const { client, path, queue } = await queueWithOne(link);
    const item = (await queue.take({ timeoutMs: 5_000 })) as QueueItem;
    return {
      client,
      item,
      itemPath: `${path}/${item.name}`,
      claimPath: `${queue.claimsPath}/${item.name}`,
    };
  }

  /** The next commit() on `client` is cut off before the server sees it; then `meanwhile` runs. */
  function cutOffNextCommit(
    client: ZkClient,
    link: string,
    meanwhile: () => Promise<void>,
  ): unknown[] {
    const outcomes: unknown[] = [];
    const multi = client.multi.bind(client);
    let armed = true;
    client.multi = (): Transaction => {
      const transaction = multi();
      if (!armed) return transaction;
      armed = false;
      const commit = transaction.commit.bind(transaction);
      transaction.commit = async () => {
        proxy().setMode(link, { kind: 'partition' });
        const sent = commit();
        proxy().setMode(link, { kind: 'reset' });
        try {
          return await sent;
        } catch (error) {
          outcomes.push(error);
          throw error;
        } finally {
          await meanwhile();
        }
      };
      return transaction;
    };
    return outcomes;
  }

  it('a transaction that never arrived, with the claim removed meanwhile, is not reported completed: the item stays', async () => {
    const link = 'queue-complete-claim-gone';
    const { client, item, itemPath, claimPath } = await holdOne(link);
    const session = client.sessionId;
    // Someone else removes the claim while the consumer is cut off: the claim is gone, the
    // item is not, and nothing completed it.
    const outcomes = cutOffNextCommit(client, link, () => admin.delete(claimPath));

    await expect(item.complete()).rejects.toBeInstanceOf(ClaimLostError);
    expect(outcomes[0]).toBeInstanceOf(ConnectionLossError);
    expect(client.sessionId).toBe(session);
    expect(item.state).toBe('LOST');
    expect(await admin.exists(itemPath)).not.toBeNull();
  });

  it('a transaction that never arrived is sent again in the same session and completes', async () => {
    const link = 'queue-complete-resent';
    const { client, item, itemPath, claimPath } = await holdOne(link);
    const outcomes = cutOffNextCommit(client, link, () => Promise.resolve());

    await item.complete();
    expect(outcomes[0]).toBeInstanceOf(ConnectionLossError);
    expect(item.state).toBe('COMPLETED');
    expect(await admin.exists(itemPath)).toBeNull();
    expect(await admin.exists(claimPath)).toBeNull();
  });

  it('a transaction applied whose answer was lost is found applied: COMPLETED, not sent again', async () => {
    const link = 'queue-complete-applied';
    const { item, itemPath } = await holdOne(link);
    const dropped = proxy().dropNextReply(link, { opTypes: [ZkOpType.multi] });

    await item.complete();
    await dropped;
    expect(item.state).toBe('COMPLETED');
    expect(await admin.exists(itemPath)).toBeNull();
  });

  it('a claim applied whose answer was lost is found ours: the item is taken once, and completes', async () => {
    const link = 'queue-claim-applied';
    const { client, path, queue } = await queueWithOne(link);
    const dropped = proxy().dropNextReply(link, { opTypes: [ZkOpType.multi] });

    const item = (await queue.take({ timeoutMs: 10_000 })) as QueueItem;
    await dropped; // the claim's transaction was applied; its answer never came
    expect(item.data.toString()).toBe('job');
    await admin.sync(queue.claimsPath);
    const claims = await admin.getChildren(queue.claimsPath);
    expect(claims).toEqual([item.name]);
    const claim = await admin.exists(`${queue.claimsPath}/${item.name}`);
    expect(claim?.ephemeralOwner).toBe(client.sessionId);
    await item.complete();
    await admin.sync(path);
    expect(await admin.exists(`${path}/${item.name}`)).toBeNull();
    expect(await admin.getChildren(queue.claimsPath)).toEqual([]);
  });
});

/**
 * The LeaderLatch when its session is lost, on an ensemble of this file's own: it leaves
 * no node behind that would stall the queue (review zk-recipes F4(a) and F13). Each test
 * reads the election's folder from a fresh client.
 */
import { type ZkStateEvent, ZkClient } from '@zk-lab/zk-client';
import { usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { expireFromElsewhere } from '../../../zk-client/src/__tests__/expire-session';
import { LeaderLatch } from './leader-latch';

const lab = usePrivateEnsemble({ size: 3 });

describe('a LeaderLatch whose session is lost', () => {
  const clients: ZkClient[] = [];
  const latches: LeaderLatch[] = [];
  let run = 0;

  async function connect(sessionTimeoutMs: number): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: lab.ensemble.connectString(),
      sessionTimeoutMs,
    });
    clients.push(client);
    return client;
  }

  function latchOn(client: ZkClient, path: string, id: string): LeaderLatch {
    const latch = new LeaderLatch(client, path, { id });
    latches.push(latch);
    latch.start();
    return latch;
  }

  function nextState(client: ZkClient, wanted: ZkStateEvent): Promise<void> {
    return new Promise((resolve) => {
      const listener = (state: ZkStateEvent): void => {
        if (state !== wanted) return;
        client.off('state', listener);
        resolve();
      };
      client.on('state', listener);
    });
  }

  /** The owner session of each node in the election's folder, read from a fresh client. */
  async function owners(path: string): Promise<bigint[]> {
    const fresh = await connect(10_000);
    try {
      await fresh.sync(path);
      const names = await fresh.getChildren(path);
      const stats = await Promise.all(names.map((name) => fresh.exists(`${path}/${name}`)));
      return stats.filter((stat) => stat !== null).map((stat) => stat.ephemeralOwner);
    } finally {
      await fresh.close();
    }
  }

  afterEach(async () => {
    await Promise.all(latches.splice(0).map((latch) => latch.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it('a join that ends in a new session leaves no orphan: one node per participant, and it leads (F4)', async () => {
    const path = `/session-loss/election-${++run}`;
    const client = await connect(4_000);
    // The join's first read (ensurePath) is answered only in the client's next session, as
    // a read retried across an expiry would be: the session ends from a second connection
    // first, and the read goes once the new session is there.
    const ensurePath = client.ensurePath.bind(client);
    const first = lab.ensemble.nodes[0]!;
    let expired = false;
    client.ensurePath = async (target, acl) => {
      if (!expired) {
        expired = true;
        const before = client.sessionId;
        await expireFromElsewhere(client, '127.0.0.1', first.clientPort);
        await waitFor(
          'a new session',
          () => client.state === 'CONNECTED' && client.sessionId !== before,
          10_000,
        );
      }
      return ensurePath(target, acl);
    };

    const latch = latchOn(client, path, 'alone');
    const leadership = await latch.await({ timeoutMs: 10_000 });
    expect(expired).toBe(true);
    expect(leadership.sessionId).toBe(client.sessionId);
    expect(await owners(path)).toEqual([client.sessionId]);
  });

  it('after LOST it deletes the node its lost session still holds before joining again, so the queue does not stall (F13)', async () => {
    const path = `/session-loss/election-${++run}`;
    const leaderId = await lab.ensemble.waitForQuorum();
    const followers = lab.ensemble.nodes.map((n) => n.id).filter((id) => id !== leaderId);
    // A leads with a short session; B waits behind it with a long one.
    const shortLived = await connect(4_000);
    const a = latchOn(shortLived, path, 'a');
    await a.await({ timeoutMs: 5_000 });
    const longLived = await connect(30_000);
    const b = latchOn(longLived, path, 'b');
    await waitFor('b queued', async () => (await b.getParticipants()).length === 2, 5_000);

    // Quorum is lost for longer than A's session: A's client declares LOST, but the new
    // ZooKeeper leader gives every session a fresh timeout, so A's old node lives on.
    const lostSession = shortLived.sessionId;
    const lost = nextState(shortLived, 'LOST');
    try {
      for (const id of followers) lab.ensemble.pauseNode(id);
      await lost;
    } finally {
      for (const id of followers) lab.ensemble.resumeNode(id);
    }
    await waitFor(
      "A's node of its new session",
      async () =>
        shortLived.sessionId !== 0n &&
        shortLived.sessionId !== lostSession &&
        (await owners(path)).includes(shortLived.sessionId),
      20_000,
    );
    // A deletes its old node before it makes the new one: any view that holds the new
    // node lacks the old one.
    const seen = await owners(path);
    expect(seen).not.toContain(lostSession);
    expect(seen.sort()).toEqual([shortLived.sessionId, longLived.sessionId].sort());
    await b.await({ timeoutMs: 5_000 });
  });
});

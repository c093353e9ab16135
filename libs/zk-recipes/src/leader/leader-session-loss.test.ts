/**
 * The LeaderLatch and the LeaderElection when a session is lost, on an ensemble of this
 * file's own: a latch leaves no node behind that would stall the queue (review zk-recipes
 * F4(a) and F13), and an election whose term still winds down does not join again (F7).
 */
import { type ZkStateEvent, ZkClient } from '@zk-lab/zk-client';
import { usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { expireFromElsewhere } from '../../../zk-client/src/__tests__/expire-session';
import { LeadershipLostError } from './errors';
import { LeaderElection, type LeadershipEnd } from './leader-election';
import { LeaderLatch } from './leader-latch';

const lab = usePrivateEnsemble({ size: 3 });

describe('a LeaderLatch whose session is lost', () => {
  const clients: ZkClient[] = [];
  const recipes: { close(): Promise<void> }[] = [];
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
    recipes.push(latch);
    void latch.start(); // a fresh recipe: it resolves at once, and never rejects
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
    await Promise.all(recipes.splice(0).map((recipe) => recipe.close()));
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
    // A leads, B waits behind it.
    const aClient = await connect(4_000);
    const a = latchOn(aClient, path, 'a');
    await a.await({ timeoutMs: 5_000 });
    const bClient = await connect(4_000);
    const b = latchOn(bClient, path, 'b');
    await waitFor('b queued', async () => (await b.getParticipants()).length === 2, 5_000);

    // Quorum is lost for longer than A's session: A's client declares LOST, but the new
    // ZooKeeper leader gives every session a fresh timeout, so A's old node lives on. (B
    // may lose its session as well; then its old node lives on too.)
    const lostSession = aClient.sessionId;
    const bBefore = bClient.sessionId;
    const lost = nextState(aClient, 'LOST');
    try {
      for (const id of followers) lab.ensemble.pauseNode(id);
      await lost;
    } finally {
      for (const id of followers) lab.ensemble.resumeNode(id);
    }
    const joined = (client: ZkClient, seen: bigint[]): boolean =>
      client.state === 'CONNECTED' && seen.includes(client.sessionId);
    let seen: bigint[] = [];
    await waitFor(
      'both in the queue with their current sessions',
      async () => {
        seen = await owners(path);
        return joined(aClient, seen) && joined(bClient, seen);
      },
      20_000,
    );
    // Each latch deletes its old node before it makes its new one: a view that holds both
    // new nodes holds neither old one.
    expect(aClient.sessionId).not.toBe(lostSession);
    expect(seen).not.toContain(lostSession);
    if (bClient.sessionId !== bBefore) expect(seen).not.toContain(bBefore);
    expect(seen).toHaveLength(2);
    await waitFor('a leader', () => a.hasLeadership || b.hasLeadership, 5_000);
  });

  it("'standard': SUSPENDED then LOST during a term that winds down slowly: the election does not join again until the function settles; others lead meanwhile (F7)", async () => {
    const path = `/session-loss/election-${++run}`;
    const leaderId = await lab.ensemble.waitForQuorum();
    const alone = lab.ensemble.nodes.map((n) => n.id).find((id) => id !== leaderId)!;
    // The election's client reaches one server only: pausing it cuts the session off.
    const cutOff = await ZkClient.connect({
      connectString: lab.ensemble.connectString([alone]),
      sessionTimeoutMs: 4_000,
    });
    clients.push(cutOff);
    let release = (): void => undefined;
    const reasons: unknown[] = [];
    const terms: string[] = [];
    const election = new LeaderElection(
      cutOff,
      path,
      async ({ signal }) => {
        terms.push('started');
        // Winds down slowly: it goes on after its signal until the test lets it end.
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        reasons.push(signal.reason);
      },
      { id: 'slow', autoRequeue: true },
    );
    const ends: LeadershipEnd[] = [];
    election.on('relinquished', (end) => ends.push(end));
    recipes.push({
      close: () => {
        release();
        return election.close();
      },
    });
    await election.start();
    await waitFor('the first term', () => terms.length === 1, 5_000);

    // The rival reaches the other servers only: on the paused one, its own session would be
    // cut off too, and the test would time its reconnection instead (a CI run's rival never
    // led within 20 s).
    const other = await ZkClient.connect({
      connectString: lab.ensemble.connectString(
        lab.ensemble.nodes.map((n) => n.id).filter((id) => id !== alone),
      ),
      sessionTimeoutMs: 4_000,
    });
    clients.push(other);
    const rival = latchOn(other, path, 'rival');
    await waitFor('the rival queued', async () => (await rival.getParticipants()).length === 2);

    const states: string[] = [];
    cutOff.on('state', (state) => states.push(state));
    const before = cutOff.sessionId;
    lab.ensemble.pauseNode(alone);
    try {
      await rival.await({ timeoutMs: 20_000 });
      await waitFor('LOST', () => states.includes('LOST'), 20_000);
    } finally {
      lab.ensemble.resumeNode(alone);
    }
    await waitFor(
      'a new session',
      () => cutOff.state === 'CONNECTED' && cutOff.sessionId !== before,
      20_000,
    );
    expect(states[states.indexOf('LOST') - 1]).toBe('SUSPENDED');

    // The function still runs: this participant is not in the queue, read through its own
    // client (after any join the new session's CONNECTED started).
    await cutOff.sync(path);
    const queued = (await readIds(cutOff, path)).join();
    expect(queued).toBe('rival');
    expect(election.hasLeadership).toBe(false);

    // The rival leaves; the function settles; only then does the election join and lead.
    await rival.close();
    release();
    await waitFor('a second term', () => terms.length === 2, 10_000);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.revoked).toBe('SUSPENDED');
    expect(reasons[0]).toBeInstanceOf(LeadershipLostError);
    expect(await readIds(cutOff, path)).toEqual(['slow']);
  });
});

/** The participants' ids (their nodes' data), in queue order. */
async function readIds(client: ZkClient, path: string): Promise<string[]> {
  const names = (await client.getChildren(path)).sort(
    (x, y) => Number(x.slice(-10)) - Number(y.slice(-10)),
  );
  return Promise.all(
    names.map(async (name) => (await client.getData(`${path}/${name}`)).data.toString()),
  );
}

/**
 * Sessions across server failures, on a private 3-server ensemble whose servers these
 * tests kill and pause (a destructive file: never the shared ensemble). Every test starts
 * from a full ensemble: afterEach restarts or resumes whatever a test stopped.
 *
 * The server a client is on is read from the servers themselves (`cons` lists each
 * connection's session id), so no test guesses where the client's shuffled host list led it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fourLetterWord } from '@zk-lab/deploy';
import { usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { ZkClient, type ZkStateEvent } from './client';
import { ClientClosedError, ConnectionLossError, SessionExpiredError } from './errors';
import { CreateMode } from './protocol';

const HOST = '127.0.0.1';
/** The longest session a 200 ms tick allows: room for an election within it. */
const LONG_SESSION_MS = 4_000;

describe('ZkClient sessions across server failures', () => {
  const cluster = usePrivateEnsemble({ size: 3 });
  const opened: ZkClient[] = [];

  /** A client that records every state event it announces, closed after the test. */
  async function connect(
    connectString: string,
    sessionTimeoutMs = LONG_SESSION_MS,
  ): Promise<{ client: ZkClient; events: ZkStateEvent[] }> {
    const client = await ZkClient.connect({ connectString, sessionTimeoutMs });
    opened.push(client);
    const events: ZkStateEvent[] = [];
    client.on('state', (event) => events.push(event));
    return { client, events };
  }

  async function leaderAndFollowers(): Promise<{ leader: number; followers: number[] }> {
    const leader = await cluster.ensemble.leaderId();
    if (leader === null) throw new Error('the ensemble has no leader');
    return {
      leader,
      followers: cluster.ensemble.nodes.map((n) => n.id).filter((id) => id !== leader),
    };
  }

  /** The id of the server holding a connection for the client's session, from `cons`. */
  async function serverOf(client: ZkClient): Promise<number> {
    const holders: number[] = [];
    for (const node of cluster.ensemble.nodes) {
      const cons = await fourLetterWord(HOST, node.clientPort, 'cons', 2_000).catch(() => '');
      const sessions = [...cons.matchAll(/sid=0x([0-9a-f]+)/g)].map((m) => BigInt(`0x${m[1]}`));
      if (sessions.includes(client.sessionId)) holders.push(node.id);
    }
    if (holders.length !== 1) {
      throw new Error(
        `session 0x${client.sessionId.toString(16)} is on servers [${holders.join(', ')}]`,
      );
    }
    return holders[0]!;
  }

  /**
   * Writes until a write succeeds or the deadline passes. Only connection loss is retried:
   * it is what a client sees while its server is gone or has no leader.
   */
  async function writeUntilAccepted(
    client: ZkClient,
    path: string,
    value: string,
    timeoutMs: number,
  ): Promise<{ losses: number }> {
    const deadline = Date.now() + timeoutMs;
    let losses = 0;
    for (;;) {
      try {
        await client.setData(path, value);
        return { losses };
      } catch (error) {
        if (!(error instanceof ConnectionLossError) || Date.now() > deadline) throw error;
        losses++;
        await sleep(50);
      }
    }
  }

  beforeEach(async () => {
    await cluster.ensemble.waitForAll();
  }, 40_000);

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
    await cluster.ensemble.restoreAll();
  }, 60_000);

  it('a client whose server is killed moves to another server and keeps its session', async () => {
    const { followers } = await leaderAndFollowers();
    // Only the followers: the client's server is one of them, and the other is its way out.
    const { client, events } = await connect(cluster.ensemble.connectString(followers));
    const sessionId = client.sessionId;
    await client.create('/owned', 'mine', { mode: CreateMode.EPHEMERAL });
    await client.create('/counter', '0');
    const server = await serverOf(client);

    // A request made while SUSPENDED waits for the reconnect and is sent then.
    const writtenWhileSuspended = new Promise<number>((resolve, reject) => {
      client.once('state', (event) => {
        if (event !== 'SUSPENDED') {
          reject(new Error(`expected SUSPENDED first, got ${event}`));
          return;
        }
        client.setData('/counter', 'while suspended').then((stat) => resolve(stat.version), reject);
      });
    });
    await cluster.ensemble.killNode(server, 'SIGKILL');

    await waitFor('RECONNECTED', () => events.includes('RECONNECTED'));
    expect(events).toEqual(['SUSPENDED', 'RECONNECTED']);
    expect(client.state).toBe('CONNECTED');
    expect(client.sessionId).toBe(sessionId);
    expect(await writtenWhileSuspended).toBe(1);
    expect(await serverOf(client)).not.toBe(server);

    const owned = await client.exists('/owned');
    expect(owned?.ephemeralOwner).toBe(sessionId);
    const stat = await client.setData('/counter', 'after failover');
    expect(stat.version).toBe(2);
    expect((await client.getData('/counter')).data.toString()).toBe('after failover');
  });

  it('requests in flight when the server dies all settle: applied or ConnectionLossError', async () => {
    const { followers } = await leaderAndFollowers();
    const { client, events } = await connect(cluster.ensemble.connectString(followers));
    await client.create('/in-flight');
    const server = await serverOf(client);

    const count = 3_000;
    const settled = Promise.allSettled(
      Array.from({ length: count }, (_, i) => client.create(`/in-flight/n${i}`)),
    );
    await cluster.ensemble.killNode(server, 'SIGKILL');
    const results = await settled;

    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(failures.filter((e) => !(e instanceof ConnectionLossError))).toEqual([]);
    await waitFor('RECONNECTED', () => events.includes('RECONNECTED'));
    // Whatever was acknowledged was applied; a failed create may or may not have been.
    const children = new Set(await client.getChildren('/in-flight'));
    const acknowledged = results.flatMap((r, i) => (r.status === 'fulfilled' ? [`n${i}`] : []));
    expect(acknowledged.filter((name) => !children.has(name))).toEqual([]);
    expect(acknowledged.length + failures.length).toBe(count);
  });

  it('a client whose server hangs (SIGSTOP) notices by heartbeat and moves on with its session', async () => {
    const { followers } = await leaderAndFollowers();
    const { client, events } = await connect(cluster.ensemble.connectString(followers));
    const sessionId = client.sessionId;
    await client.create('/owned-through-hang', '', { mode: CreateMode.EPHEMERAL });
    const server = await serverOf(client);

    cluster.ensemble.pauseNode(server);
    await waitFor('RECONNECTED', () => events.includes('RECONNECTED'));
    expect(events).toEqual(['SUSPENDED', 'RECONNECTED']);
    expect(client.sessionId).toBe(sessionId);
    expect(await serverOf(client)).not.toBe(server);
    expect((await client.exists('/owned-through-hang'))?.ephemeralOwner).toBe(sessionId);
    await client.create('/written-after-hang', 'ok');
    expect((await client.getData('/written-after-hang')).data.toString()).toBe('ok');
  });

  it('a client on a follower writes again once a new leader replaces a killed one', async () => {
    const { leader, followers } = await leaderAndFollowers();
    // Pinned to one follower: its server lives, but loses its leader and drops its clients.
    const { client, events } = await connect(cluster.ensemble.connectString([followers[0]!]));
    const sessionId = client.sessionId;
    await client.create('/leader-failover', 'before');

    await cluster.ensemble.killNode(leader, 'SIGKILL');
    await writeUntilAccepted(client, '/leader-failover', 'after', 20_000);

    expect((await client.getData('/leader-failover')).data.toString()).toBe('after');
    const newLeader = await cluster.ensemble.waitForQuorum(10_000);
    expect(newLeader).not.toBe(leader);
    expect(client.sessionId).toBe(sessionId);
    expect(events).toEqual(['SUSPENDED', 'RECONNECTED']);
  });

  it('a client with every server in its connect string writes again after the leader is killed', async () => {
    const { leader } = await leaderAndFollowers();
    const { client, events } = await connect(cluster.ensemble.connectString());
    const sessionId = client.sessionId;
    await client.create('/leader-failover-any', 'before');
    await client.create('/kept', '', { mode: CreateMode.EPHEMERAL });

    await cluster.ensemble.killNode(leader, 'SIGKILL');
    await writeUntilAccepted(client, '/leader-failover-any', 'after', 20_000);

    expect((await client.getData('/leader-failover-any')).data.toString()).toBe('after');
    expect(client.sessionId).toBe(sessionId);
    expect(events).not.toContain('LOST');
    expect((await client.exists('/kept'))?.ephemeralOwner).toBe(sessionId);
  });

  it('a client whose only server stays paused past the session timeout reports LOST', async () => {
    const { followers } = await leaderAndFollowers();
    const [pinned, other] = [followers[0]!, followers[1]!];
    const client = await ZkClient.connect({
      connectString: cluster.ensemble.connectString([pinned]),
      sessionTimeoutMs: 2_000,
      newSessionAfterLost: false,
    });
    opened.push(client);
    const events: ZkStateEvent[] = [];
    client.on('state', (event) => events.push(event));
    const { client: observer } = await connect(
      cluster.ensemble.connectString(
        cluster.ensemble.nodes.map((n) => n.id).filter((id) => id !== pinned),
      ),
    );
    expect(other).not.toBe(pinned);
    await client.create('/doomed', '', { mode: CreateMode.EPHEMERAL });
    await observer.setData('/', '');
    expect(await observer.exists('/doomed')).not.toBeNull();

    cluster.ensemble.pauseNode(pinned);
    await waitFor('SUSPENDED', () => events.includes('SUSPENDED'));
    // A request made now waits for a reconnect that cannot come: once the client has been
    // suspended for a whole session timeout it declares the session LOST, without waiting
    // for a server to say so, and the waiting request fails with SessionExpiredError.
    const unanswered = await client.setData('/doomed', 'never').catch((e: unknown) => e);
    expect(unanswered).toBeInstanceOf(SessionExpiredError);
    expect(unanswered).toMatchObject({ op: 'setData', path: '/doomed' });
    expect(events).toEqual(['SUSPENDED', 'LOST']);
    expect(client.state).toBe('LOST');
    // The rest of the ensemble expires the session: its ephemeral node goes.
    await waitFor(
      'the ephemeral node to vanish',
      async () => (await observer.exists('/doomed')) === null,
    );

    cluster.ensemble.resumeNode(pinned);
    await cluster.ensemble.waitForAll();
    expect(events).toEqual(['SUSPENDED', 'LOST']);
    const error = await client.getData('/doomed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(error).toMatchObject({ op: 'getData', path: '/doomed' });
    await expect(client.create('/after-expiry')).rejects.toBeInstanceOf(SessionExpiredError);
    await expect(client.exists('/')).rejects.toBeInstanceOf(SessionExpiredError);
    expect(await observer.exists('/after-expiry')).toBeNull();
  });

  it('close() while SUSPENDED fails waiting requests with ClientClosedError and stops reconnecting', async () => {
    const { followers } = await leaderAndFollowers();
    const pinned = followers[0]!;
    const { client, events } = await connect(cluster.ensemble.connectString([pinned]));
    cluster.ensemble.pauseNode(pinned);
    await waitFor('SUSPENDED', () => events.includes('SUSPENDED'));

    const waiting = client.getData('/').catch((e: unknown) => e);
    await client.close();
    const error = await waiting;
    expect(error).toBeInstanceOf(ClientClosedError);
    expect(error).toMatchObject({ op: 'getData', path: '/' });
    expect(client.state).toBe('CLOSED');

    // Once the server answers again, the closed client does not come back.
    cluster.ensemble.resumeNode(pinned);
    await cluster.ensemble.waitForAll();
    await sleep(LONG_SESSION_MS / 2);
    expect(events).toEqual(['SUSPENDED', 'CLOSED']);
    await expect(client.exists('/')).rejects.toBeInstanceOf(ClientClosedError);
  });
});

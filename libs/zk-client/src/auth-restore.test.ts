/**
 * Authentication across connections, on a private 3-server ensemble whose servers these
 * tests kill and pause (a destructive file: never the shared ensemble). A server knows a
 * client's ids per connection, so they survive only because the client sends its
 * credentials again on every new connection. afterEach restarts or resumes whatever a
 * test stopped.
 */
import { fourLetterWord } from '@zk-lab/deploy';
import { usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { digestAcl } from './auth';
import { ZkClient, type ZkStateEvent } from './client';
import { NoAuthError } from './errors';

const HOST = '127.0.0.1';
const LONG_SESSION_MS = 4_000;

describe('credentials survive a new connection', () => {
  const cluster = usePrivateEnsemble({ size: 3 });
  const opened: ZkClient[] = [];

  async function connect(connectString: string, sessionTimeoutMs = LONG_SESSION_MS) {
    const client = await ZkClient.connect({ connectString, sessionTimeoutMs });
    opened.push(client);
    const events: ZkStateEvent[] = [];
    client.on('state', (event) => events.push(event));
    return { client, events };
  }

  async function followers(): Promise<number[]> {
    const leader = await cluster.ensemble.leaderId();
    if (leader === null) throw new Error('the ensemble has no leader');
    return cluster.ensemble.nodes.map((n) => n.id).filter((id) => id !== leader);
  }

  /** The id of the server holding the client's session's connection, from `cons`. */
  async function serverOf(client: ZkClient): Promise<number> {
    const holders: number[] = [];
    for (const node of cluster.ensemble.nodes) {
      const cons = await fourLetterWord(HOST, node.clientPort, 'cons', 2_000).catch(() => '');
      const sessions = [...cons.matchAll(/sid=0x([0-9a-f]+)/g)].map((m) => BigInt(`0x${m[1]}`));
      if (sessions.includes(client.sessionId)) holders.push(node.id);
    }
    const [holder] = holders;
    if (holders.length !== 1 || holder === undefined) {
      throw new Error(
        `session 0x${client.sessionId.toString(16)} is on servers [${holders.join(', ')}]`,
      );
    }
    return holder;
  }

  /** A node only alice may read, made by a client of its own. */
  async function aliceOnly(path: string): Promise<void> {
    const { client: admin } = await connect(cluster.connectString);
    await admin.addAuth('digest', 'alice:secret');
    await admin.create(path, 'for alice', { acl: [digestAcl('alice', 'secret')] });
  }

  beforeEach(async () => {
    await cluster.ensemble.waitForAll();
  }, 40_000);

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
    await cluster.ensemble.restoreAll();
  }, 60_000);

  it('a client whose server is killed is still alice on the server it moves to', async () => {
    await aliceOnly('/after-kill');
    const { client, events } = await connect(cluster.connectString);
    const sessionId = client.sessionId;
    await expect(client.getData('/after-kill')).rejects.toBeInstanceOf(NoAuthError);
    await client.addAuth('digest', 'alice:secret');
    expect((await client.getData('/after-kill')).data.toString()).toBe('for alice');
    const server = await serverOf(client);

    await cluster.ensemble.killNode(server, 'SIGKILL');
    await waitFor('RECONNECTED', () => events.includes('RECONNECTED'));

    expect(client.sessionId).toBe(sessionId);
    expect(await serverOf(client)).not.toBe(server);
    expect((await client.getData('/after-kill')).data.toString()).toBe('for alice');
    expect((await client.setData('/after-kill', 'still alice')).version).toBe(1);
    expect(events).toEqual(['SUSPENDED', 'RECONNECTED']);
  });

  it('a client whose session was LOST is still alice in its new session', async () => {
    await aliceOnly('/after-loss');
    const [pinned] = await followers();
    if (pinned === undefined) throw new Error('no follower');
    const { client, events } = await connect(cluster.ensemble.connectString([pinned]), 2_000);
    const sessionId = client.sessionId;
    await client.addAuth('digest', 'alice:secret');
    expect((await client.getData('/after-loss')).data.toString()).toBe('for alice');

    cluster.ensemble.pauseNode(pinned);
    await waitFor('LOST', () => events.includes('LOST'));
    cluster.ensemble.resumeNode(pinned);
    await waitFor('a new session', () => events.includes('CONNECTED'), 30_000);

    expect(client.sessionId).not.toBe(sessionId);
    expect((await client.getData('/after-loss')).data.toString()).toBe('for alice');
  });
});

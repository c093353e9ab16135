/**
 * The session's life beyond one connection, on a private ensemble whose servers these
 * tests kill and pause: a session ended from elsewhere (forced expiry) and a new one made
 * after it, reads repeated after a connection loss, protected creates that never leave
 * two nodes, and a child process that does not disturb the client through a failover.
 */
import { spawn } from 'node:child_process';
import { serverOfSession, usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { ZkClient, type ZkStateEvent } from './client';
import { expireFromElsewhere } from './__tests__/expire-session';
import { CreateMode } from './protocol';

const cluster = usePrivateEnsemble({ size: 3 });
const opened: ZkClient[] = [];

async function connect(
  options: { servers?: number[]; sessionTimeoutMs?: number } = {},
): Promise<{ client: ZkClient; events: ZkStateEvent[] }> {
  const client = await ZkClient.connect({
    connectString: cluster.ensemble.connectString(options.servers),
    sessionTimeoutMs: options.sessionTimeoutMs ?? 4_000,
  });
  opened.push(client);
  const events: ZkStateEvent[] = [];
  client.on('state', (event) => events.push(event));
  return { client, events };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  await cluster.ensemble.restoreAll();
});

/** Ends a client's session from a second connection, as a server-side expiry would. */
function expire(client: ZkClient): Promise<void> {
  const node = cluster.ensemble.nodes[0]!;
  return expireFromElsewhere(client, '127.0.0.1', node.clientPort);
}

describe('session expiry', () => {
  it('a session ended from elsewhere gives LOST, then a new session that works', async () => {
    const { client, events } = await connect();
    const { client: observer } = await connect();
    const before = client.sessionId;
    await client.create('/mine', 'x', { mode: CreateMode.EPHEMERAL });

    await expire(client);
    await waitFor('a new session', () => events.includes('CONNECTED'));

    expect(events.slice(events.indexOf('LOST'))).toEqual(['LOST', 'CONNECTED']);
    // Before that, the second connection took the session over for a moment: the client
    // may have been moved off its server and re-attached, but never told of another state.
    for (const event of events.slice(0, events.indexOf('LOST'))) {
      expect(['SUSPENDED', 'RECONNECTED']).toContain(event);
    }
    expect(client.sessionId).not.toBe(before);
    expect(client.state).toBe('CONNECTED');
    await observer.sync('/'); // the observer's server may lag behind the expiry until it syncs
    expect(await observer.exists('/mine')).toBeNull();
    await client.create('/mine', 'again', { mode: CreateMode.EPHEMERAL });
    await observer.sync('/');
    expect((await observer.getData('/mine')).stat.ephemeralOwner).toBe(client.sessionId);
  });

  it('a client suspended past its session timeout says LOST, and makes a new session once a server answers', async () => {
    const { client, events } = await connect({ servers: [1], sessionTimeoutMs: 2_000 });
    const before = client.sessionId;
    cluster.ensemble.pauseNode(1);
    try {
      await waitFor('LOST', () => events.includes('LOST'), 10_000);
      expect(events).toEqual(['SUSPENDED', 'LOST']);
    } finally {
      cluster.ensemble.resumeNode(1);
    }
    await waitFor('a new session', () => events.includes('CONNECTED'), 10_000);
    expect(events).toEqual(['SUSPENDED', 'LOST', 'CONNECTED']);
    expect(client.sessionId).not.toBe(before);
    await client.create('/after-pause');
    expect(await client.exists('/after-pause')).not.toBeNull();
  });
});

describe('connection loss during requests', () => {
  it('reads in flight when the server dies are repeated and all answer', async () => {
    const { client, events } = await connect();
    await client.create('/read-me', 'value');
    const server = await serverOfSession(cluster.ensemble, client.sessionId);
    const reads = Array.from({ length: 2_000 }, () => client.getData('/read-me'));
    await cluster.ensemble.killNode(server);
    const results = await Promise.allSettled(reads);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(events).toContain('RECONNECTED');
  });

  it('protected sequential creates across a server kill leave exactly one node each', async () => {
    const { client, events } = await connect();
    await client.create('/jobs');
    const server = await serverOfSession(cluster.ensemble, client.sessionId);
    const creates = Array.from({ length: 500 }, (_, i) =>
      client.create('/jobs/job-', String(i), {
        mode: CreateMode.PERSISTENT_SEQUENTIAL,
        protected: true,
      }),
    );
    await cluster.ensemble.killNode(server);
    const paths = await Promise.all(creates);

    expect(events).toContain('RECONNECTED');
    const children = await client.getChildren('/jobs');
    expect(children).toHaveLength(500);
    expect(new Set(paths).size).toBe(500);
    expect(paths.map((p) => p.slice('/jobs/'.length)).sort()).toEqual([...children].sort());
    for (const path of paths.slice(0, 20)) {
      expect(path).toMatch(/^\/jobs\/_c_[0-9a-f-]{36}-job-\d{10}$/);
    }
  });
});

describe('child processes', () => {
  it('a child spawned while connected does not disturb the client through a leader failover', async () => {
    const { client, events } = await connect();
    await client.create('/spawned', '0');
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const leader = (await cluster.ensemble.leaderId())!;
      await cluster.ensemble.killNode(leader);
      await waitFor('a write after the failover', async () => {
        try {
          await client.setData('/spawned', '1');
          return true;
        } catch {
          return false;
        }
      });
      expect(events).not.toContain('LOST');
      expect(client.state).toBe('CONNECTED');
      expect((await client.getData('/spawned')).data.toString()).toBe('1');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/**
 * A listener that throws (review zk-client 1.1) never breaks the connection nor the state
 * machine: its error is reported (`listenerError`, or a process warning), and everything
 * else goes on. On the run's shared ensemble.
 */
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { expireFromElsewhere } from './__tests__/expire-session';
import { type ListenerError, ZkClient, type ZkStateEvent } from './client';
import { AddWatchMode, EventType } from './protocol';

describe('a listener that throws', () => {
  const root = testRoot();
  const opened: ZkClient[] = [];
  let admin: ZkClient;

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    opened.push(client);
    return client;
  }

  /** The client's state events and listener errors, from now on. */
  function watchOver(client: ZkClient): { states: ZkStateEvent[]; errors: ListenerError[] } {
    const states: ZkStateEvent[] = [];
    const errors: ListenerError[] = [];
    client.on('state', (state) => states.push(state));
    client.on('listenerError', (error) => errors.push(error));
    return { states, errors };
  }

  beforeAll(async () => {
    admin = await connect();
    await admin.create(root);
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await Promise.all(opened.map((client) => client.close()));
  });

  it("of 'watch': pipelined writes in flight all succeed, the connection stays, the error is reported", async () => {
    const client = await connect();
    const base = `${root}/watch-throws`;
    await client.create(base);
    await client.addWatch(base, AddWatchMode.PERSISTENT_RECURSIVE, () => undefined);
    // The pattern of the review: a logging listener that cannot serialize a bigint.
    client.on('watch', (event) => {
      JSON.stringify({ ...event, session: client.sessionId });
    });
    const { states, errors } = watchOver(client);

    // Each create makes a notification while later creates are still in flight.
    const creates = Array.from({ length: 200 }, (_, i) => client.create(`${base}/n-${i}`));
    const outcomes = await Promise.allSettled(creates);

    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(states).toEqual([]);
    expect(client.state).toBe('CONNECTED');
    await waitFor('the notifications', () => errors.length >= 200);
    expect(errors[0]).toMatchObject({ source: 'watch', error: expect.any(TypeError) as unknown });
  });

  it('of a read or addWatch: the other listeners still hear, and the error is reported', async () => {
    const client = await connect();
    const path = `${root}/watcher-throws`;
    await client.create(path, 'v0');
    const { states, errors } = watchOver(client);
    const heard: string[] = [];
    await client.getData(path, {
      watch: () => {
        throw new Error('a one-shot listener broke');
      },
    });
    await client.exists(path, { watch: (event) => heard.push(`exists ${event.type}`) });
    await client.addWatch(path, AddWatchMode.PERSISTENT, (event) =>
      heard.push(`persistent ${event.type}`),
    );

    await admin.setData(path, 'v1');
    await waitFor('both other listeners', () => heard.length === 2);
    expect(heard.sort()).toEqual([
      `exists ${EventType.NodeDataChanged}`,
      `persistent ${EventType.NodeDataChanged}`,
    ]);
    expect(errors).toEqual([{ source: 'watcher', error: new Error('a one-shot listener broke') }]);
    // The connection is the same: the next write goes through.
    await client.setData(path, 'v2');
    expect(states).toEqual([]);
  });

  it("of 'state' on LOST: the client still makes its new session", async () => {
    const client = await connect();
    const { states, errors } = watchOver(client);
    client.on('state', (state) => {
      if (state === 'LOST') throw new Error('a state listener broke');
    });
    const [host, port] = sharedConnectString().split(',')[0]!.split(':');
    const before = client.sessionId;
    await expireFromElsewhere(client, host!, Number(port));

    await waitFor(
      'a new session',
      () => client.state === 'CONNECTED' && client.sessionId !== before,
    );
    expect(states.slice(-2)).toEqual(['LOST', 'CONNECTED']);
    expect(errors).toEqual([{ source: 'state', error: new Error('a state listener broke') }]);
    await client.exists('/');
  });

  it('with no listenerError listener: a process warning says so, once per error', async () => {
    const client = await connect();
    const path = `${root}/warned`;
    await client.create(path);
    // Observed, and kept off the test's output.
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      client.on('watch', () => {
        throw new RangeError('no room');
      });
      await client.exists(path, { watch: () => undefined });
      await admin.setData(path, 'x');
      await waitFor('the warning', () => warn.mock.calls.length === 1);
      expect(warn.mock.calls[0]).toEqual([
        "a zk-client 'watch' listener threw: RangeError: no room",
        { code: 'ZK_CLIENT_LISTENER_ERROR' },
      ]);
      expect(client.state).toBe('CONNECTED');
    } finally {
      warn.mockRestore();
    }
  });
});

/**
 * On the re-attach of a session, the client sends the older SetWatches (op 101) when it
 * holds no persistent watch, and SetWatches2 (op 105) only when it does, as the Java client
 * (review zk-client 1.2). A 3.5 server knows no SetWatches2: it answers UNIMPLEMENTED and
 * closes the connection, so a client with one-shot watches only would re-attach and be cut
 * again forever. This machine has no 3.5 server; what is tested is the request each case
 * sends (recorded as the client writes it) and that the 3.8 server honours both: the
 * change made while the client was away fires the watch.
 */
import { randomBytes } from 'node:crypto';
import { sharedConnectString, useFaultProxy, waitFor } from '@zk-lab/test';
import { connectViaProxy } from './__tests__/via-proxy';
import { ZkClient } from './client';
import { Connection } from './connection';
import { AddWatchMode, EventType, OpCode, type WatchEvent } from './protocol';

describe('re-registering watches on a re-attach', () => {
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  /** The op codes of the watch re-registrations the client writes from now on. */
  function recordSetWatches(): () => number[] {
    const submit = jest.spyOn(Connection.prototype, 'submit'); // calls through
    return () =>
      submit.mock.calls
        .map(([request]) => request.opCode)
        .filter((op) => op === OpCode.setWatches || op === OpCode.setWatches2);
  }

  /** Cuts the client's connection; resolves once the same session is back. */
  async function cut(client: ZkClient, link: string): Promise<void> {
    const session = client.sessionId;
    const reconnected = new Promise<void>((resolve) => {
      client.on('state', (state) => {
        if (state === 'RECONNECTED') resolve();
      });
    });
    proxy().setMode(link, { kind: 'reset' });
    await reconnected;
    expect(client.sessionId).toBe(session);
  }

  it('sends SetWatches for one-shot watches alone, and SetWatches2 once a persistent one is held', async () => {
    const client = await connectViaProxy(proxy(), 'set-watches', 4_000);
    const writer = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(client, writer);
    const path = `/set-watches-${randomBytes(4).toString('hex')}`;
    await writer.create(path, 'v1');
    const fired: WatchEvent[] = [];
    await client.getData(path, { watch: (event) => fired.push(event) });
    const sent = recordSetWatches();

    proxy().setMode('set-watches', { kind: 'partition' });
    await writer.setData(path, 'v2'); // while the client is away
    await cut(client, 'set-watches');
    await waitFor('the one-shot watch to fire', () => fired.length === 1);
    expect(fired[0]).toMatchObject({ type: EventType.NodeDataChanged, path });
    expect(sent()).toEqual([OpCode.setWatches]);

    const persistent: WatchEvent[] = [];
    await client.addWatch(path, AddWatchMode.PERSISTENT, (event) => persistent.push(event));
    await cut(client, 'set-watches');
    expect(sent()).toEqual([OpCode.setWatches, OpCode.setWatches2]);
    await writer.setData(path, 'v3');
    await waitFor('the persistent watch to fire', () =>
      persistent.some((event) => event.type === EventType.NodeDataChanged),
    );
    await writer.delete(path);
  });
});

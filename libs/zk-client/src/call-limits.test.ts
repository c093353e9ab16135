/**
 * A call's own limits: `timeoutMs` and `signal` stop the caller waiting (CallTimeoutError,
 * CallAbortedError) without touching the connection. A request still waiting for a
 * connection when its caller gives up is never sent. Faults through the fault proxy on the
 * shared ensemble's first server.
 */
import { randomBytes } from 'node:crypto';
import { sharedConnectString, useFaultProxy, waitFor, ZkOpType } from '@zk-lab/test';
import { connectViaProxy } from './__tests__/via-proxy';
import { ZkClient, type ZkStateEvent } from './client';
import { BadArgumentsError, CallAbortedError, CallTimeoutError } from './errors';

describe('call limits', () => {
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  async function viaProxy(link: string): Promise<{ client: ZkClient; states: ZkStateEvent[] }> {
    const client = await connectViaProxy(proxy(), link, 10_000);
    clients.push(client);
    const states: ZkStateEvent[] = [];
    client.on('state', (state) => states.push(state));
    return { client, states };
  }

  it('timeoutMs: a read whose answer does not come rejects with CallTimeoutError, and the session goes on', async () => {
    const { client, states } = await viaProxy('call-timeout');
    const path = `/call-timeout-${randomBytes(4).toString('hex')}`;
    await client.create(path, 'v');
    const held = proxy().holdNextReply('call-timeout', { opTypes: [ZkOpType.getData] });
    const reading = client.getData(path, { timeoutMs: 300 });
    await held;
    await expect(reading).rejects.toBeInstanceOf(CallTimeoutError);
    await expect(reading).rejects.toThrow(`no answer within 300 ms: getData ${path}`);
    proxy().heal('call-timeout');
    expect((await client.getData(path)).data.toString()).toBe('v');
    expect(states).toEqual([]); // the connection never dropped
    await client.delete(path);
  });

  it('signal: a write waiting for a connection is taken back and never sent', async () => {
    const { client, states } = await viaProxy('call-abort');
    const checker = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(checker);
    const path = `/call-abort-${randomBytes(4).toString('hex')}`;
    // The connection is cut and every new one is held: the client waits, SUSPENDED.
    proxy().setMode('call-abort', { kind: 'reset' });
    proxy().setMode('call-abort', { kind: 'partition' });
    await waitFor('SUSPENDED', () => states.includes('SUSPENDED'));
    const controller = new AbortController();
    const creating = client.create(path, 'never', { signal: controller.signal });
    controller.abort(new Error('the caller changed its mind'));
    await expect(creating).rejects.toBeInstanceOf(CallAbortedError);
    await expect(creating).rejects.toMatchObject({
      reason: new Error('the caller changed its mind'),
    });
    proxy().heal('call-abort');
    await waitFor('RECONNECTED', () => states.includes('RECONNECTED'));
    await client.sync(path.slice(0, path.lastIndexOf('/')) || '/');
    await checker.sync('/');
    expect(await checker.exists(path)).toBeNull();
  });

  it('rejects at once for a signal already aborted, and for a timeout that is not a positive integer', async () => {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(client);
    await expect(client.exists('/', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CallAbortedError,
    );
    await expect(client.exists('/', { timeoutMs: 0 })).rejects.toBeInstanceOf(BadArgumentsError);
    await expect(client.exists('/', { timeoutMs: 1.5 })).rejects.toThrow(
      'timeoutMs must be a positive integer, got 1.5',
    );
  });
});

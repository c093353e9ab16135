/**
 * An addAuth whose reply is lost with the connection (review zk-client 1.3): the
 * credential is kept from the call on, so the next connection sends it again before the
 * requests that wait, and a read pipelined behind the addAuth is answered as alice. The
 * fault proxy drops the addAuth's reply after the server applied it, and cuts the link.
 */
import { randomBytes } from 'node:crypto';
import { sharedConnectString, useFaultProxy, ZkOpType } from '@zk-lab/test';
import { digestAcl } from './auth';
import { connectViaProxy } from './__tests__/via-proxy';
import { ZkClient } from './client';
import { AuthFailedError, ConnectionLossError } from './errors';

describe('an addAuth whose reply is lost', () => {
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  async function viaProxy(link: string): Promise<ZkClient> {
    const client = await connectViaProxy(proxy(), link, 4_000);
    clients.push(client);
    return client;
  }

  it('is sent again on the next connection: a read pipelined behind it is answered', async () => {
    const admin = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(admin);
    await admin.addAuth('digest', 'alice:secret');
    const path = `/auth-lost-${randomBytes(4).toString('hex')}`;
    await admin.create(path, 'for alice', { acl: [digestAcl('alice', 'secret')] });

    const client = await viaProxy('auth-lost');
    const session = client.sessionId;
    const dropped = proxy().dropNextReply('auth-lost', { opTypes: [ZkOpType.auth] });
    const auth = client.addAuth('digest', 'alice:secret').then(
      () => 'answered',
      (error: unknown) => error,
    );
    const read = client.getData(path);
    await dropped;

    expect(await auth).toBeInstanceOf(ConnectionLossError);
    expect((await read).data.toString()).toBe('for alice');
    expect(client.sessionId).toBe(session);
    await admin.delete(path);
  });

  it('refused credentials are not kept: the next connection does not send them', async () => {
    const client = await viaProxy('auth-refused');
    const refused: string[] = [];
    client.on('authFailed', ({ scheme }) => refused.push(scheme));
    // A scheme the server has no provider for: it answers AUTH_FAILED and closes.
    await expect(client.addAuth('no-such-scheme', 'x')).rejects.toBeInstanceOf(AuthFailedError);
    await client.exists('/'); // the next connection works, with nothing refused again
    expect(refused).toEqual(['no-such-scheme']);
  });
});

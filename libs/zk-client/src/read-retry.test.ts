/**
 * A read whose connection is lost is sent again, but only in the session it was first sent
 * in: repeated in a new session, its answer would pass for one the old session got, and a
 * caller that acts on it (a worker starting a task it read) would act as a zombie.
 *
 * The second case is the contract as a caller sees it. Here the read fails as a request
 * waiting when the session is lost; the check in `call()` for a retry that wakes after the
 * new session exists is reached only when the process is late (a pause), which
 * apps/worker/src/worker-pause.test.ts makes happen.
 */
import { randomBytes } from 'node:crypto';
import { sharedConnectString, useFaultProxy, waitFor, ZkOpType } from '@zk-lab/test';
import { connectViaProxy } from './__tests__/via-proxy';
import { ZkClient } from './client';
import { SessionExpiredError } from './errors';
import { CreateMode } from './protocol';

const SESSION_MS = 2_000;

describe('a read whose connection is lost', () => {
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  async function viaProxy(link: string): Promise<ZkClient> {
    const client = await connectViaProxy(proxy(), link, SESSION_MS);
    clients.push(client);
    return client;
  }

  it('is answered when the same session comes back', async () => {
    const client = await viaProxy('read-same-session');
    const path = `/read-retry-${randomBytes(4).toString('hex')}`;
    await client.create(path, 'v1');
    const session = client.sessionId;
    const dropped = proxy().dropNextReply('read-same-session', { opTypes: [ZkOpType.getData] });
    const read = client.getData(path);
    await dropped;
    expect((await read).data.toString()).toBe('v1');
    expect(client.sessionId).toBe(session);
    await client.delete(path);
  });

  it('a multiRead is a read too: answered when the same session comes back', async () => {
    const client = await viaProxy('multiread-same-session');
    const path = `/read-retry-${randomBytes(4).toString('hex')}`;
    await client.create(path, 'v1');
    const session = client.sessionId;
    const dropped = proxy().dropNextReply('multiread-same-session', {
      opTypes: [ZkOpType.multiRead],
    });
    const read = client.multiRead([
      { op: 'getData', path },
      { op: 'getData', path: `${path}-missing` },
    ]);
    await dropped;
    const [found, missing] = await read;
    expect(found).toMatchObject({ op: 'getData', data: Buffer.from('v1') });
    expect(missing).toMatchObject({ op: 'getData', error: expect.any(Error) as unknown });
    expect(client.sessionId).toBe(session);
    await client.delete(path);
  });

  it('fails with SessionExpiredError when its session expired meanwhile, and is not sent in the new one', async () => {
    const client = await viaProxy('read-new-session');
    const observer = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(observer);
    const path = `/read-retry-${randomBytes(4).toString('hex')}`;
    await observer.create(path, 'v1');
    const mine = `${path}-owner`;
    await client.create(mine, '', { mode: CreateMode.EPHEMERAL });
    const session = client.sessionId;

    // The read reaches the server; its answer is held and the link stalls.
    const held = proxy().holdNextReply('read-new-session', { opTypes: [ZkOpType.getData] });
    const outcome = client.getData(path).then(
      ({ data }) => `answered ${data.toString()}`,
      (error: unknown) => error,
    );
    await held;
    await waitFor('the session to expire', async () => (await observer.exists(mine)) === null);
    // The held answer is thrown away with the connection; the link passes again.
    proxy().setMode('read-new-session', { kind: 'reset' });

    expect(await outcome).toBeInstanceOf(SessionExpiredError);
    await waitFor(
      'a new session',
      () => client.state === 'CONNECTED' && client.sessionId !== session,
    );
    // The server saw no read of the path in the new session: its answer would have been
    // the value set now, which no caller got.
    await observer.setData(path, 'v2');
    expect((await client.getData(path)).data.toString()).toBe('v2');
    await observer.delete(path);
  });
});

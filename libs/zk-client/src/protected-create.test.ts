/**
 * The client's guarantees across a lost session, as the caller sees them.
 *
 * A protected create never reports failure for a node it made (review zk-client 1.6): the
 * server applies the create and its answer is lost with the connection; the client then
 * cannot reconnect for longer than its session, so the lookup that follows fails with the
 * session. For a persistent node, the create looks again in the new session and returns
 * the node it made: a caller who retried on an error would have made a second one.
 *
 * A guaranteed delete of a persistent node whose session is lost while it waits deletes the
 * node in the new session, rather than reporting success for a node still there (1.16).
 */
import { randomBytes } from 'node:crypto';
import { sharedConnectString, useFaultProxy, waitFor, ZkOpType } from '@zk-lab/test';
import { connectViaProxy } from './__tests__/via-proxy';
import { ZkClient, type ZkStateEvent } from './client';
import { CreateMode } from './protocol';

const SESSION_MS = 2_000;

describe('guarantees across a lost session', () => {
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('returns the persistent node it made, found in the new session', async () => {
    const client = await connectViaProxy(proxy(), 'protected-lost', SESSION_MS);
    const checker = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(client, checker);
    const states: ZkStateEvent[] = [];
    client.on('state', (state) => states.push(state));
    const parent = `/protected-${randomBytes(4).toString('hex')}`;
    await checker.create(parent);

    const dropped = proxy().dropNextReply('protected-lost', {
      opTypes: [ZkOpType.create, ZkOpType.create2],
    });
    const creating = client.create(`${parent}/job-`, 'payload', {
      mode: CreateMode.PERSISTENT_SEQUENTIAL,
      protected: true,
    });
    const outcome = creating.then(
      (path) => ({ path }),
      (error: unknown) => ({ error }),
    );
    await dropped; // applied by the server; the answer lost with the connection
    proxy().setMode('protected-lost', { kind: 'partition' });
    await waitFor('the session to be lost', () => states.includes('LOST'));
    proxy().heal('protected-lost');

    const result = await outcome;
    if ('error' in result) throw new Error(`the create failed: ${String(result.error)}`);
    expect(result.path).toMatch(/\/_c_[0-9a-f-]+-job-\d{10}$/);
    await checker.sync(parent);
    const children = await checker.getChildren(parent);
    expect(children.map((child) => `${parent}/${child}`)).toEqual([result.path]);
    await checker.deleteRecursive(parent);
  });

  it('a guaranteed delete of a persistent node deletes it in the new session', async () => {
    const client = await connectViaProxy(proxy(), 'delete-lost', SESSION_MS);
    const checker = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(client, checker);
    const states: ZkStateEvent[] = [];
    client.on('state', (state) => states.push(state));
    const path = `/guaranteed-${randomBytes(4).toString('hex')}`;
    await checker.create(path, 'stays until deleted');

    proxy().setMode('delete-lost', { kind: 'partition' });
    const deleting = client.deleteGuaranteed(path);
    await waitFor('the session to be lost', () => states.includes('LOST'));
    proxy().heal('delete-lost');
    await deleting;
    await checker.sync(path);
    expect(await checker.exists(path)).toBeNull();
  });
});

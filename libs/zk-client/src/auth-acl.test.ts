/**
 * Digest authentication, ACLs and sync against the run's shared ensemble (real ZooKeeper
 * servers), under this file's own root. Nothing here kills or pauses a server.
 */
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { digestAcl, digestId } from './auth';
import { ZkClient, type ZkStateEvent } from './client';
import { AuthFailedError, BadArgumentsError, BadVersionError, NoAuthError } from './errors';
import { MultiError } from './multi';
import { CREATOR_ALL_ACL, type ACL, Perms, READ_ACL_UNSAFE } from './protocol';

describe('digest auth, ACLs and sync on a live ensemble', () => {
  const root = testRoot();
  const opened: ZkClient[] = [];
  let admin: ZkClient;

  async function connect(connectString = sharedConnectString()): Promise<ZkClient> {
    const client = await ZkClient.connect({ connectString, sessionTimeoutMs: 4_000 });
    opened.push(client);
    return client;
  }

  /** A node only alice may touch, with a child (deleting a node needs DELETE on its parent). */
  async function aliceOnly(name: string): Promise<{ path: string; child: string }> {
    const path = `${root}/${name}`;
    const acl = [digestAcl('alice', 'secret')];
    await admin.create(path, 'for alice', { acl });
    await admin.create(`${path}/child`, 'c', { acl });
    return { path, child: `${path}/child` };
  }

  beforeAll(async () => {
    admin = await connect();
    await admin.create(root);
    await admin.addAuth('digest', 'alice:secret');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(1).map((c) => c.close()));
  });

  afterAll(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });

  it('digestId is the id the server derives from user:password', async () => {
    // The value ZooKeeper's DigestAuthenticationProvider.generateDigest gives for super:test.
    expect(digestId('super', 'test')).toEqual({
      scheme: 'digest',
      id: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
    });
    expect(digestAcl('bob', 'pw', Perms.READ)).toEqual({
      perms: Perms.READ,
      id: digestId('bob', 'pw'),
    });
    expect(() => digestId('a:b', 'pw')).toThrow(BadArgumentsError);

    // The creator's own id, as the server records it for CREATOR_ALL_ACL.
    const path = `${root}/creator-all`;
    await admin.create(path, '', { acl: CREATOR_ALL_ACL });
    expect((await admin.getACL(path)).acl).toEqual([digestAcl('alice', 'secret')]);
  });

  it('a client without the credentials gets NoAuthError on reads, writes and deletes', async () => {
    const { path, child } = await aliceOnly('guarded');
    const anonymous = await connect();

    const read = await anonymous.getData(path).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(NoAuthError);
    expect(read).toMatchObject({ op: 'getData', path });
    const write = await anonymous.setData(path, 'mine').catch((e: unknown) => e);
    expect(write).toBeInstanceOf(NoAuthError);
    expect(write).toMatchObject({ op: 'setData', path });
    const removal = await anonymous.delete(child).catch((e: unknown) => e);
    expect(removal).toBeInstanceOf(NoAuthError);
    expect(removal).toMatchObject({ op: 'delete', path: child });
    const inTransaction = await anonymous
      .multi()
      .setData(path, 'mine')
      .commit()
      .catch((e: unknown) => e);
    expect(inTransaction).toMatchObject({ index: 0, op: 'setData', path });
    expect(inTransaction).toBeInstanceOf(MultiError);
    expect((inTransaction as MultiError).opError).toBeInstanceOf(NoAuthError);

    expect((await admin.getData(path)).data.toString()).toBe('for alice');
    expect(await admin.exists(child)).not.toBeNull();
  });

  it('after addAuth with the right password the same client may read, write and delete', async () => {
    const { path, child } = await aliceOnly('granted');
    const client = await connect();
    await expect(client.getData(path)).rejects.toBeInstanceOf(NoAuthError);

    await client.addAuth('digest', 'alice:secret');
    expect((await client.getData(path)).data.toString()).toBe('for alice');
    expect((await client.setData(path, 'written by alice')).version).toBe(1);
    await client.delete(child);
    expect(await client.exists(child)).toBeNull();
  });

  it('a wrong password is accepted as another id, which the ACL does not grant', async () => {
    const { path } = await aliceOnly('wrong-password');
    const client = await connect();
    const events: ZkStateEvent[] = [];
    client.on('state', (e) => events.push(e));

    await client.addAuth('digest', 'alice:guess');
    await expect(client.getData(path)).rejects.toBeInstanceOf(NoAuthError);
    await expect(client.setData(path, 'x')).rejects.toBeInstanceOf(NoAuthError);
    expect(events).toEqual([]);
  });

  it('credentials of an unknown scheme fail with AuthFailedError; the session carries on', async () => {
    const { path } = await aliceOnly('refused');
    const client = await connect();
    const sessionId = client.sessionId;
    await client.addAuth('digest', 'alice:secret');
    const states: ZkStateEvent[] = [];
    client.on('state', (e) => states.push(e));
    const refusals: string[] = [];
    client.on('authFailed', (f) => refusals.push(f.scheme));

    const refused = await client.addAuth('no-such-scheme', 'whatever').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthFailedError);
    expect(refused).toMatchObject({ op: 'addAuth' });
    expect(refusals).toEqual(['no-such-scheme']);

    // The server dropped the connection; the next request waits for the reconnect, on
    // which the credentials accepted before are sent again (the refused ones are not).
    expect((await client.getData(path)).data.toString()).toBe('for alice');
    expect(states).toEqual(['SUSPENDED', 'RECONNECTED']);
    expect(client.sessionId).toBe(sessionId);
    expect(refusals).toEqual(['no-such-scheme']);
  });

  it('getACL returns the ACL that was set, and setACL checks the ACL version', async () => {
    const path = `${root}/acl`;
    const acl: ACL[] = [digestAcl('alice', 'secret'), ...READ_ACL_UNSAFE];
    await admin.create(path, 'x', { acl });

    const first = await admin.getACL(path);
    expect(first.acl).toEqual(acl);
    expect(first.stat.aversion).toBe(0);

    const bad = await admin
      .setACL(path, [digestAcl('alice', 'secret')], 5)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadVersionError);
    expect(bad).toMatchObject({ op: 'setACL', path });
    expect((await admin.getACL(path)).acl).toEqual(acl);

    const stat = await admin.setACL(path, [digestAcl('alice', 'secret')], 0);
    expect(stat.aversion).toBe(1);
    expect(await admin.getACL(path)).toEqual({ acl: [digestAcl('alice', 'secret')], stat });

    // Without ADMIN, the world may now not even read it.
    const anonymous = await connect();
    await expect(anonymous.getData(path)).rejects.toBeInstanceOf(NoAuthError);
    await expect(admin.setACL(path, [])).rejects.toBeInstanceOf(BadArgumentsError);
  });

  it('after sync, a read sees the latest write of a client on another server', async () => {
    const hosts = sharedConnectString().split(',');
    expect(hosts.length).toBeGreaterThanOrEqual(2);
    const writer = await connect(hosts[0]);
    const reader = await connect(hosts[1]);
    const path = `${root}/synced`;
    await writer.create(path, '0');
    await reader.sync(path);
    expect((await reader.getData(path)).data.toString()).toBe('0');

    for (let i = 1; i <= 20; i++) {
      await writer.setData(path, String(i));
      await reader.sync(path);
      expect((await reader.getData(path)).data.toString()).toBe(String(i));
    }
  });
});

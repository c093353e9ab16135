/**
 * TLS to the servers' secureClientPort, on a private 3-server ensemble that the harness
 * starts with TLS (keys and certificates made at run time with the JDK's keytool: a CA, the
 * servers' identity, client identities alice and bob). The client checks the servers'
 * certificates against the CA; a client certificate names the session in the `x509` ACL
 * scheme by its subject.
 */
import { readFileSync } from 'node:fs';
import { clientSubject, type TlsMaterial } from '@zk-lab/deploy';
import { serverOfSession, usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { LAN_RECONNECT_BACKOFF, ZkClient, type ZkStateEvent } from './client';
import { Connection } from './connection';
import { ConnectionLossError, NoAuthError } from './errors';
import { Perms } from './protocol';

describe('TLS', () => {
  const cluster = usePrivateEnsemble({ size: 3, tls: true });
  const clients: ZkClient[] = [];
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  function material(): TlsMaterial {
    const tls = cluster.ensemble.tls;
    if (tls === null) throw new Error('the ensemble has no TLS material');
    return tls;
  }

  /** A client over TLS that trusts the CA and, if named, presents that client identity. */
  async function connectTls(identity?: string): Promise<ZkClient> {
    const tls = material();
    const client = await ZkClient.connect({
      connectString: cluster.ensemble.secureConnectString(),
      sessionTimeoutMs: 4_000,
      reconnectBackoff: LAN_RECONNECT_BACKOFF,
      tls: {
        ca: readFileSync(tls.caPem),
        ...(identity === undefined
          ? {}
          : { pfx: readFileSync(tls.clients[identity]!), passphrase: tls.password }),
      },
    });
    clients.push(client);
    return client;
  }

  it('reads and writes over TLS what a plain client sees', async () => {
    const secure = await connectTls();
    const plain = await ZkClient.connect({ connectString: cluster.ensemble.connectString() });
    clients.push(plain);
    await secure.create('/over-tls', 'sealed');
    await plain.sync('/over-tls');
    expect((await plain.getData('/over-tls')).data.toString()).toBe('sealed');
    await secure.delete('/over-tls');
  });

  it('refuses a server whose certificate it cannot verify, with the reason in one line', async () => {
    // Given up once an attempt has failed (whenever that is on a busy machine).
    const failed = new AbortController();
    const open = Connection.open.bind(Connection);
    jest.spyOn(Connection, 'open').mockImplementation((connection) => {
      const opening = open(connection);
      opening.catch(() => setImmediate(() => failed.abort())); // after the client noted why
      return opening;
    });
    const connecting = ZkClient.connect({
      connectString: cluster.ensemble.secureConnectString([1]),
      connectTimeoutMs: 60_000,
      connectSignal: failed.signal,
      tls: {}, // the system's CAs only: the lab's CA is not among them
    });
    await expect(connecting).rejects.toBeInstanceOf(ConnectionLossError);
    await expect(connecting).rejects.toThrow(
      /^connection loss: connect 127\.0\.0\.1:\d+ \(last attempt: .*certificate.*\)$/,
    );
  });

  it('lets only the certificate an x509 ACL names read the node', async () => {
    const alice = await connectTls('alice');
    const bob = await connectTls('bob');
    const path = '/x509-only-alice';
    await alice.create(path, 'for alice', {
      acl: [{ perms: Perms.ALL, id: { scheme: 'x509', id: clientSubject('alice') } }],
    });
    expect((await alice.getData(path)).data.toString()).toBe('for alice');
    await expect(bob.getData(path)).rejects.toBeInstanceOf(NoAuthError);
    await alice.delete(path);
  });

  it('keeps its session over TLS when its server dies', async () => {
    const client = await connectTls();
    const states: ZkStateEvent[] = [];
    client.on('state', (state) => states.push(state));
    const session = client.sessionId;
    const home = await serverOfSession(cluster.ensemble, session);
    await cluster.ensemble.killNode(home);
    try {
      await waitFor('the session back on another server', () => states.includes('RECONNECTED'));
      expect(client.sessionId).toBe(session);
      expect(await serverOfSession(cluster.ensemble, session)).not.toBe(home);
      await client.create('/after-failover', '');
      await client.delete('/after-failover');
    } finally {
      await cluster.ensemble.startNode(home);
    }
  });
});

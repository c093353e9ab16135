/**
 * A host name of the connect string is every server it resolves to, tried in a random order
 * each round (review zk-client 1.4), and a server that accepts TCP but is out of quorum
 * (it closes each handshake) is passed over for the others.
 *
 * The name `zk.test` resolves, through the client's `resolveHost` option, to two loopback
 * addresses that share one port: fault-proxy links on 127.0.0.2 and 127.0.0.3, the first to
 * a ZooKeeper server cut from its peers, the second to a healthy one. The resolver gives the
 * out-of-quorum address first every time, as a DNS server with a stable order does.
 */
import { serverOfSession, useFaultProxy, usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { ZkClient } from './client';
import { Connection } from './connection';

describe('a host name with several addresses', () => {
  const cluster = usePrivateEnsemble({ size: 3, faultProxy: true });
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('reaches the server that serves, past one that accepts TCP but is out of quorum', async () => {
    const ensemble = cluster.ensemble;
    const [cut, healthy] = [1, 2];
    await ensemble.isolateServer(cut);
    await waitFor('the cut server to stop serving', async () => {
      const node = (await ensemble.status()).find((s) => s.id === cut);
      return node?.state === 'up' && node.report === null; // srvr: not serving
    });
    const out = await proxy().addLink('out-of-quorum', {
      targetPort: ensemble.node(cut).clientPort,
      listenHost: '127.0.0.2',
    });
    await proxy().addLink('serving', {
      targetPort: ensemble.node(healthy).clientPort,
      listenHost: '127.0.0.3',
      listenPort: out.listenPort,
    });
    const tried: string[] = [];
    const open = Connection.open.bind(Connection);
    const spy = jest.spyOn(Connection, 'open').mockImplementation((options) => {
      tried.push(options.host);
      return open(options);
    });
    try {
      for (let i = 0; i < 4; i++) {
        const client = await ZkClient.connect({
          connectString: `zk.test:${out.listenPort}`,
          sessionTimeoutMs: 4_000,
          connectTimeoutMs: 10_000,
          resolveHost: (name) =>
            Promise.resolve(name === 'zk.test' ? ['127.0.0.2', '127.0.0.3'] : []),
        });
        clients.push(client);
        expect(await serverOfSession(ensemble, client.sessionId)).toBe(healthy);
      }
    } finally {
      spy.mockRestore();
    }
    // Both addresses were tried, and nothing else was.
    expect(new Set(tried)).toEqual(new Set(['127.0.0.2', '127.0.0.3']));
    await ensemble.healServers();
  });
});

/**
 * ServiceRegistry under session loss and connection loss (review zk-recipes F5), on the
 * shared ensemble: registrations are known by service and id together, and an
 * unregistration is guaranteed.
 */
import { randomBytes } from 'node:crypto';
import { ConnectionLossError, CreateMode, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, useFaultProxy, waitFor } from '@zk-lab/test';
import { expireFromElsewhere } from '../../../zk-client/src/__tests__/expire-session';
import { connectViaProxy } from '../../../zk-client/src/__tests__/via-proxy';
import { ServiceRegistry } from './service-registry';

describe('ServiceRegistry', () => {
  const root = testRoot();
  const { proxy } = useFaultProxy();
  const opened: { close(): Promise<void> }[] = [];
  let observer: ZkClient;

  beforeAll(async () => {
    observer = await ZkClient.connect({ connectString: sharedConnectString() });
  });

  afterEach(async () => {
    for (const closable of opened.splice(0)) await closable.close();
  });

  afterAll(async () => {
    await observer.deleteRecursive(root);
    await observer.close();
  });

  function registryOn(client: ZkClient, basePath: string): ServiceRegistry {
    const registry = new ServiceRegistry(client, { basePath });
    opened.unshift(registry);
    void registry.start(); // a fresh recipe: it resolves at once, and never rejects
    return registry;
  }

  function freshBase(): string {
    return `${root}/services-${randomBytes(4).toString('hex')}`;
  }

  it('two services with the same instance id both come back after a session expiry; unregistering one leaves the other', async () => {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    opened.push(client);
    const basePath = freshBase();
    const registry = registryOn(client, basePath);
    const api = await registry.register({ name: 'api', id: 'host-1', address: 'a', port: 1 });
    await registry.register({ name: 'metrics', id: 'host-1', address: 'a', port: 2 });

    const [host, port] = sharedConnectString().split(',')[0]!.split(':');
    const before = client.sessionId;
    await expireFromElsewhere(client, host!, Number(port));
    await waitFor(
      'a new session',
      () => client.state === 'CONNECTED' && client.sessionId !== before,
    );
    const ownedByNewSession = async (path: string): Promise<boolean> =>
      (await observer.exists(path))?.ephemeralOwner === client.sessionId;
    await waitFor(
      'both registrations written again in the new session',
      async () =>
        (await ownedByNewSession(`${basePath}/api/host-1`)) &&
        (await ownedByNewSession(`${basePath}/metrics/host-1`)),
      10_000,
    );

    await registry.unregister(api);
    // The observer may be on a server that has not applied the delete yet (CI saw the node
    // still there): ZooKeeper orders one client's view, so it catches up first.
    await observer.sync(basePath);
    expect(await observer.exists(`${basePath}/api/host-1`)).toBeNull();
    expect(await ownedByNewSession(`${basePath}/metrics/host-1`)).toBe(true);
    expect(registry.instances().map((i) => `${i.name}/${i.id}`)).toEqual(['metrics/host-1']);
  });

  it('an unregistration whose delete was cut off with the connection still removes the node', async () => {
    const link = 'registry-unregister';
    const client = await connectViaProxy(proxy(), link, 10_000);
    opened.push(client);
    const basePath = freshBase();
    const registry = registryOn(client, basePath);
    const instance = await registry.register({ name: 'api', address: 'a', port: 1 });
    const path = `${basePath}/api/${instance.id}`;
    const session = client.sessionId;

    // The first delete is written into a partitioned link and the connection is then reset:
    // the server never sees it, and the client gets ConnectionLoss for it.
    const deletes: unknown[] = [];
    const deleteOnce = client.delete.bind(client);
    let cut = false;
    client.delete = async (target: string, version?: number): Promise<void> => {
      if (!cut) {
        cut = true;
        proxy().setMode(link, { kind: 'partition' });
        const sent = deleteOnce(target, version);
        proxy().setMode(link, { kind: 'reset' });
        await sent.catch((error: unknown) => {
          deletes.push(error);
          throw error;
        });
        return;
      }
      await deleteOnce(target, version);
      deletes.push('deleted');
    };

    const outcome = await registry.unregister(instance).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await waitFor('the node gone', async () => (await observer.exists(path)) === null, 10_000);
    expect(deletes[0]).toBeInstanceOf(ConnectionLossError);
    expect(outcome).toBe('resolved');
    expect(client.sessionId).toBe(session); // the same session: its node did not go with it
    expect(registry.instances()).toEqual([]);
  });

  it("replaces a node of another session under its name and id (re-registration's NodeExists case)", async () => {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    opened.push(client);
    const basePath = freshBase();
    // A node left by a session that is not ours (an expired one the server still keeps).
    const other = await ZkClient.connect({ connectString: sharedConnectString() });
    opened.push(other);
    await other.ensurePath(`${basePath}/api`);
    await other.create(`${basePath}/api/host-1`, 'stale', { mode: CreateMode.EPHEMERAL });

    const registry = registryOn(client, basePath);
    await registry.register({ name: 'api', id: 'host-1', address: 'a', port: 1 });
    await observer.sync(basePath);
    const { data, stat } = await observer.getData(`${basePath}/api/host-1`);
    expect(stat.ephemeralOwner).toBe(client.sessionId);
    expect(JSON.parse(data.toString())).toMatchObject({ name: 'api', id: 'host-1', port: 1 });
  });
});

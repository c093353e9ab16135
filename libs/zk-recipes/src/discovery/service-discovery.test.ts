import { CreateMode, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { Waitable } from '../cache/__tests__/event-log';
import { RecipeStateError } from '../common/lifecycle';
import { ServiceDiscovery } from './service-discovery';
import {
  InvalidServiceInstanceError,
  InvalidServiceNameError,
  type ServiceInstance,
} from './service-instance';
import { ServiceRegistry } from './service-registry';

type Change = [type: 'added' | 'updated' | 'removed' | 'initialized', id: string, port?: number];

describe('ServiceRegistry and ServiceDiscovery', () => {
  const root = testRoot();
  const basePath = `${root}/services`;
  const opened: { close(): Promise<void> }[] = [];

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    opened.push(client);
    return client;
  }

  function registryOn(client: ZkClient): ServiceRegistry {
    const registry = new ServiceRegistry(client, { basePath });
    opened.unshift(registry);
    void registry.start(); // a fresh recipe: it resolves at once, and never rejects
    return registry;
  }

  function discover(client: ZkClient, name: string) {
    const discovery = new ServiceDiscovery(client, { basePath, name });
    opened.unshift(discovery);
    const changes = new Waitable<Change>();
    const errors: Error[] = [];
    discovery.on('initialized', () => changes.push(['initialized', '']));
    discovery.on('added', (i) => changes.push(['added', i.id, i.port]));
    discovery.on('updated', (i) => changes.push(['updated', i.id, i.port]));
    discovery.on('removed', (i) => changes.push(['removed', i.id, i.port]));
    discovery.on('error', (error) => errors.push(error));
    return { discovery, changes, errors };
  }

  afterEach(async () => {
    for (const closable of opened.splice(0)) await closable.close();
  });

  afterAll(async () => {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    await client.deleteRecursive(root);
    await client.close();
  });

  it('lists registered instances with their address, port and metadata, and follows them', async () => {
    const registry = registryOn(await connect());
    const first = await registry.register({
      name: 'api',
      address: '10.0.0.1',
      port: 8080,
      metadata: { zone: 'a', weight: 2 },
    });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const { discovery, changes } = discover(await connect(), 'api');
    await discovery.start();
    expect(changes.items).toEqual([
      ['added', first.id, 8080],
      ['initialized', ''],
    ]);
    expect(discovery.instances()).toEqual([first]);

    const second = await registry.register({
      name: 'api',
      id: 'second',
      address: 'h2',
      port: 9090,
    });
    await changes.until('second added', (c) => c.length === 3);
    await registry.register({ name: 'api', id: 'second', address: 'h2', port: 9091 });
    await changes.until('second updated', (c) => c.length === 4);
    await registry.unregister(first);
    await changes.until('first removed', (c) => c.length === 5);

    expect(changes.items.slice(2)).toEqual([
      ['added', 'second', 9090],
      ['updated', 'second', 9091],
      ['removed', first.id, 8080],
    ]);
    expect(discovery.instances().map((i) => [i.id, i.port])).toEqual([['second', 9091]]);
    expect(discovery.get('second')).toMatchObject({ name: 'api', address: 'h2', metadata: {} });
    expect(second.registeredAt).toBeGreaterThan(0);
  });

  it('watches a service that nobody registered yet, and sees instances leave with their session', async () => {
    const { discovery, changes } = discover(await connect(), 'later');
    await discovery.start();
    expect(discovery.instances()).toEqual([]);

    const owner = await ZkClient.connect({ connectString: sharedConnectString() });
    const registry = new ServiceRegistry(owner, { basePath });
    await registry.start();
    const instance = await registry.register({ name: 'later', id: 'one', address: 'h', port: 1 });
    await changes.until('one added', (c) => c.length === 2);
    // Closing the session (not the registry) removes the ephemeral node at once.
    await owner.close();
    await changes.until('one removed', (c) => c.length === 3);
    await registry.close();

    expect(changes.items).toEqual([
      ['initialized', ''],
      ['added', 'one', 1],
      ['removed', 'one', 1],
    ]);
    expect(instance.metadata).toEqual({});
  });

  it('close() unregisters every instance of the registry; close is idempotent', async () => {
    const client = await connect();
    const registry = registryOn(client);
    await registry.register({ name: 'many', id: 'a', address: 'h', port: 1 });
    await registry.register({ name: 'many', id: 'b', address: 'h', port: 2 });
    const { discovery, changes } = discover(await connect(), 'many');
    await discovery.start();
    expect(discovery.instances().map((i) => i.id)).toEqual(['a', 'b']);

    await registry.close();
    await registry.close();
    await changes.until('both removed', (c) => c.filter(([t]) => t === 'removed').length === 2);
    expect(discovery.instances()).toEqual([]);
    expect(registry.state).toBe('CLOSED');
    await expect(registry.register({ name: 'many', address: 'h', port: 3 })).rejects.toBeInstanceOf(
      RecipeStateError,
    );
    expect(await client.getChildren(`${basePath}/many`)).toEqual([]);
  });

  it('leaves out a node that is not an instance, and says why', async () => {
    const client = await connect();
    await client.ensurePath(`${basePath}/odd`);
    await client.create(`${basePath}/odd/garbage`, 'not json', { mode: CreateMode.EPHEMERAL });
    const registry = registryOn(client);
    const good: ServiceInstance = await registry.register({
      name: 'odd',
      id: 'good',
      address: 'h',
      port: 5,
    });
    const { discovery, errors } = discover(await connect(), 'odd');
    await discovery.start();

    expect(discovery.instances()).toEqual([good]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvalidServiceInstanceError);
    expect(errors[0]).toMatchObject({ path: `${basePath}/odd/garbage` });
  });

  it('refuses names and ids that cannot be a znode name', async () => {
    const client = await connect();
    const registry = registryOn(client);
    await expect(registry.register({ name: 'a/b', address: 'h', port: 1 })).rejects.toBeInstanceOf(
      InvalidServiceNameError,
    );
    await expect(
      registry.register({ name: 'ok', id: '..', address: 'h', port: 1 }),
    ).rejects.toBeInstanceOf(InvalidServiceNameError);
    expect(() => new ServiceDiscovery(client, { basePath, name: '' })).toThrow(
      InvalidServiceNameError,
    );
    expect(registry.instances()).toEqual([]);
  });
});

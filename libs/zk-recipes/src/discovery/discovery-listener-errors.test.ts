/**
 * A ServiceRegistry or ServiceDiscovery listener that throws (review zk-recipes F9): the
 * other listeners still hear the event, the recipe goes on (a registration resolves, the
 * discovery keeps its list), and the error is a process warning (ZK_RECIPES_LISTENER_ERROR).
 * On the shared ensemble.
 */
import { randomBytes } from 'node:crypto';
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { ServiceDiscovery } from './service-discovery';
import { ServiceRegistry } from './service-registry';

describe('a discovery recipe listener that throws', () => {
  const root = testRoot();
  const opened: { close(): Promise<void> }[] = [];
  /** The ZK_RECIPES_LISTENER_ERROR warnings emitted during the test. */
  const warnings: string[] = [];
  let warn: jest.SpyInstance<void, Parameters<typeof process.emitWarning>>;
  let client: ZkClient;

  beforeAll(async () => {
    client = await ZkClient.connect({ connectString: sharedConnectString() });
  });

  beforeEach(() => {
    warnings.length = 0;
    warn = jest.spyOn(process, 'emitWarning').mockImplementation((warning, options) => {
      const code = typeof options === 'object' ? options.code : undefined;
      if (code === 'ZK_RECIPES_LISTENER_ERROR') warnings.push(String(warning));
    });
  });

  afterEach(async () => {
    warn.mockRestore();
    for (const closable of opened.splice(0)) await closable.close();
  });

  afterAll(async () => {
    await client.deleteRecursive(root);
    await client.close();
  });

  function freshBase(): string {
    return `${root}/services-${randomBytes(4).toString('hex')}`;
  }

  it("ServiceRegistry: register() resolves and the other 'registered' listeners run", async () => {
    const registry = new ServiceRegistry(client, { basePath: freshBase() });
    opened.push(registry);
    await registry.start();
    const heard: string[] = [];
    registry.on('registered', () => {
      throw new Error('a registered listener broke');
    });
    registry.on('registered', (instance) => heard.push(instance.id));

    const instance = await registry.register({ name: 'api', id: 'one', address: 'a', port: 1 });
    expect(instance.id).toBe('one');
    expect(heard).toEqual(['one']);
    expect(warnings).toEqual([
      "a ServiceRegistry 'registered' listener threw: Error: a registered listener broke",
    ]);
  });

  it("ServiceDiscovery: the other 'added' listeners hear every instance and the list stays whole", async () => {
    const basePath = freshBase();
    const registry = new ServiceRegistry(client, { basePath });
    opened.push(registry);
    await registry.start();
    const discovery = new ServiceDiscovery(client, { basePath, name: 'api' });
    opened.unshift(discovery);
    const heard: string[] = [];
    discovery.on('added', () => {
      throw new Error('an added listener broke');
    });
    discovery.on('added', (instance) => heard.push(instance.id));
    await discovery.start();

    await registry.register({ name: 'api', id: 'one', address: 'a', port: 1 });
    await waitFor('one heard', () => heard.includes('one'), 5_000);
    await registry.register({ name: 'api', id: 'two', address: 'a', port: 2 });
    await waitFor('two heard', () => heard.includes('two'), 5_000);
    expect(heard).toEqual(['one', 'two']);
    expect(
      discovery
        .instances()
        .map((i) => i.id)
        .sort(),
    ).toEqual(['one', 'two']);
    expect(warnings).toHaveLength(2);
  });
});

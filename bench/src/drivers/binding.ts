/**
 * The bench driver of the `zookeeper` npm binding (native, over the C client), run by
 * main.ts in its own process. The binding is not a dependency of the workspace: main.ts
 * installs it into bench/peers/node_modules (npm ci) and this driver loads it from there.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { driverMain, type NodeClient, runNodeDriver } from '../protocol';

/** The part of the binding's API used here (see its lib/zk_promise.js and lib/zookeeper.js). */
interface BindingClient {
  on(event: 'connect' | 'close', listener: () => void): void;
  once(event: 'connect' | 'close', listener: () => void): void;
  init(config: object): BindingClient;
  create(path: string, data: Buffer | string, flags: number): Promise<string>;
  close(): void;
}

interface BindingConstructor {
  new (config: {
    connect: string;
    timeout: number;
    debug_level: number;
    host_order_deterministic: boolean;
  }): BindingClient;
  constants: {
    ZOO_PERSISTENT: number;
    ZOO_LOG_LEVEL_ERROR: number;
    ZNODEEXISTS: number;
  };
}

const peers = join(__dirname, '..', '..', 'peers');
const peerRequire = createRequire(join(peers, 'package.json'));
const ZooKeeper = peerRequire('zookeeper') as BindingConstructor;
const { version } = peerRequire('zookeeper/package.json') as { version: string };

/** The binding rejects with an Error whose message names the C error ("… -110 node exists"). */
function isNodeExists(error: unknown): boolean {
  return (
    error instanceof Error &&
    (/node exists/i.test(error.message) ||
      (error as Error & { code?: unknown }).code === ZooKeeper.constants.ZNODEEXISTS)
  );
}

driverMain(() =>
  runNodeDriver('binding', `zookeeper (npm binding) ${version}`, async (config) => {
    const client = new ZooKeeper({
      connect: config.connect,
      timeout: config.sessionTimeoutMs,
      debug_level: ZooKeeper.constants.ZOO_LOG_LEVEL_ERROR,
      host_order_deterministic: false,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no session within 30 s')), 30_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.init({});
    });
    const flags = ZooKeeper.constants.ZOO_PERSISTENT;
    const driver: NodeClient = {
      create: (path, data) => client.create(path, data, flags),
      skipReason: 'n/a (the binding has no multi)',
      ensurePath: async (path) => {
        let prefix = '';
        for (const part of path.split('/').slice(1)) {
          prefix += `/${part}`;
          try {
            await client.create(prefix, '', flags);
          } catch (error) {
            if (!isNodeExists(error)) throw error;
          }
        }
      },
      close: () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000);
          client.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          client.close();
        }),
    };
    return driver;
  }),
);

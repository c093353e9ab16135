/** The bench driver of our client, @zk-lab/zk-client (run by main.ts in its own process). */
import { readFileSync } from 'node:fs';
import { ZkClient } from '@zk-lab/zk-client';
import { driverMain, type NodeClient, runNodeDriver } from '../protocol';

/**
 * The multi builder as issue 3 defines it. Typed here rather than imported so the bench
 * compiles and runs (reporting "skipped") against a client that does not have it yet.
 */
interface MultiBuilder {
  create(path: string, data?: Buffer | string): MultiBuilder;
  setData(path: string, data: Buffer | string, version?: number): MultiBuilder;
  delete(path: string, version?: number): MultiBuilder;
  check(path: string, version: number): MultiBuilder;
  commit(): Promise<unknown[]>;
}

function isNodeExists(error: unknown): boolean {
  return error instanceof Error && error.name === 'NodeExistsError';
}

function version(): string {
  const pkg = JSON.parse(
    readFileSync(require.resolve('@zk-lab/zk-client/package.json'), 'utf8'),
  ) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}

driverMain(() =>
  runNodeDriver('ours', version(), async (config): Promise<NodeClient> => {
    const client = await ZkClient.connect({
      connectString: config.connect,
      sessionTimeoutMs: config.sessionTimeoutMs,
    });
    const builder = (client as unknown as { multi?: () => MultiBuilder }).multi;
    return {
      create: (path, data) => client.create(path, data),
      multi:
        typeof builder === 'function'
          ? (path, data) =>
              builder
                .call(client)
                .create(path, data)
                .setData(path, data, 0)
                .delete(path, 1)
                .commit()
          : undefined,
      skipReason: 'not available (ZkClient has no multi() yet)',
      ensurePath: async (path) => {
        let prefix = '';
        for (const part of path.split('/').slice(1)) {
          prefix += `/${part}`;
          try {
            await client.create(prefix);
          } catch (error) {
            if (!isNodeExists(error)) throw error;
          }
        }
      },
      close: () => client.close(),
    };
  }),
);

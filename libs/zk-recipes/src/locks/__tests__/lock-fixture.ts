/**
 * What the try-lock and multi-lock test files set up: a root of their own on the shared
 * ensemble, a client (a session) per contender, the recipes a test started, closed after
 * it even when it fails, and a checker session that reads the lock nodes.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';

interface Recipe {
  start(): void;
  close(): Promise<void>;
}

export interface LockFixture {
  /** A new session, closed after the test. */
  connect(this: void): Promise<ZkClient>;
  /** Starts `recipe` and closes it after the test. */
  started<R extends Recipe>(this: void, recipe: R): R;
  /** A path under the file's root not used before. */
  fresh(this: void, name: string): string;
  /** The children of each path as the leader has them, sorted (a path not there has none). */
  nodesUnder(this: void, paths: readonly string[]): Promise<string[][]>;
}

export function useLockFixture(): LockFixture {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const recipes: Recipe[] = [];
  let checker: ZkClient | null = null;
  let n = 0;

  beforeAll(async () => {
    checker = await ZkClient.connect({ connectString: sharedConnectString() });
    await checker.ensurePath(root);
  });
  afterEach(async () => {
    await Promise.all(recipes.splice(0).map((recipe) => recipe.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await checker?.deleteRecursive(root);
    await checker?.close();
  });

  return {
    async connect() {
      const client = await ZkClient.connect({
        connectString: sharedConnectString(),
        sessionTimeoutMs: 4_000,
      });
      clients.push(client);
      return client;
    },
    started(recipe) {
      recipes.push(recipe);
      recipe.start();
      return recipe;
    },
    fresh(name) {
      n++;
      return `${root}/${name}-${n}`;
    },
    nodesUnder(paths) {
      const reader = checker;
      if (reader === null) throw new Error('the lock fixture connects in beforeAll');
      return Promise.all(
        paths.map(async (path) => {
          await reader.sync(path);
          return (await reader.getChildren(path).catch((): string[] => [])).sort();
        }),
      );
    },
  };
}

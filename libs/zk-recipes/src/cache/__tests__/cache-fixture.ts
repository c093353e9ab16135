/**
 * What every cache test file sets up: a root of its own on the shared ensemble, a client
 * for the caches and a writer (another session) to change the nodes they mirror, and the
 * caches a test made, closed after it.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';

export interface CacheFixture<C> {
  readonly root: string;
  /** The session the caches read through. */
  readonly client: ZkClient;
  /** Another session, that writes what the caches should see. */
  readonly writer: ZkClient;
  /** A cache of `path` on `client`, closed after the test. */
  cache(this: void, path: string): C;
}

export function useCacheFixture<C extends { close(): Promise<void> }>(
  make: (client: ZkClient, path: string) => C,
): CacheFixture<C> {
  const root = testRoot();
  let client: ZkClient | null = null;
  let writer: ZkClient | null = null;
  const caches: C[] = [];
  const connected = (c: ZkClient | null): ZkClient => {
    if (c === null) throw new Error('the cache fixture connects in beforeAll');
    return c;
  };

  beforeAll(async () => {
    client = await ZkClient.connect({ connectString: sharedConnectString() });
    writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(root);
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await writer?.deleteRecursive(root);
    await Promise.all([client?.close(), writer?.close()]);
  });

  return {
    root,
    get client() {
      return connected(client);
    },
    get writer() {
      return connected(writer);
    },
    cache(path) {
      const created = make(connected(client), path);
      caches.push(created);
      return created;
    },
  };
}

/** Test helpers for the nodes family: clients closed after each test, a checker, expiry. */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { expireFromElsewhere } from '../../../../zk-client/src/__tests__/expire-session';

export interface NodeFixture {
  /** This file's root path, deleted after the file. */
  readonly root: string;
  /** Closed after each test, first to last: put recipes first (unshift), clients last. */
  readonly opened: { close(): Promise<void> }[];
  /** A client of the shared ensemble, opened for the file, for checks from outside. */
  checker: () => ZkClient;
  /** A client of the shared ensemble, closed after the test. */
  connect: () => Promise<ZkClient>;
  /** Ends the client's session from a second connection, as a server-side expiry would. */
  expire: (client: ZkClient) => Promise<void>;
}

export function useNodeFixture(): NodeFixture {
  const root = testRoot();
  const opened: { close(): Promise<void> }[] = [];
  let checker: ZkClient | null = null;
  beforeAll(async () => {
    checker = await ZkClient.connect({ connectString: sharedConnectString() });
  });
  afterAll(async () => {
    await checker?.deleteRecursive(root).catch(() => undefined);
    await checker?.close();
  });
  afterEach(async () => {
    for (const closable of opened.splice(0)) await closable.close();
  });
  return {
    root,
    opened,
    checker: () => checker!,
    connect: async () => {
      const client = await ZkClient.connect({ connectString: sharedConnectString() });
      opened.push(client);
      return client;
    },
    expire: (client) => {
      const [host, port] = sharedConnectString().split(',')[0]!.split(':');
      return expireFromElsewhere(client, host!, Number(port));
    },
  };
}

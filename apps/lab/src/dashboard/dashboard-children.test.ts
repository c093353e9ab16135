import { ChildrenPageSchema } from '@zk-lab/dashboard';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { ask, RecordingFeed, startTestServer } from './__tests__/dashboard-http';
import type { DashboardServer } from './dashboard-server';

const CHILDREN = 20_000;
const PER_MULTI = 1_000;
const PAGE = 1_000;

/** Creates (or deletes) `names` under `parent`, a thousand per transaction. */
async function inBatches(
  client: ZkClient,
  parent: string,
  names: string[],
  op: 'create' | 'delete',
): Promise<void> {
  const batches: Promise<unknown>[] = [];
  for (let i = 0; i < names.length; i += PER_MULTI) {
    const tx = client.multi();
    for (const name of names.slice(i, i + PER_MULTI)) {
      if (op === 'create') tx.create(`${parent}/${name}`);
      else tx.delete(`${parent}/${name}`);
    }
    batches.push(tx.commit());
  }
  await Promise.all(batches);
}

describe(`/api/children over a node with ${CHILDREN.toLocaleString('en')} children`, () => {
  const root = testRoot();
  const parent = `${root}/many`;
  // Created in no order; served by name (code points: item-10 before item-2, as the page sorts).
  const names = Array.from({ length: CHILDREN }, (_, i) => `item-${(i * 7_919) % CHILDREN}`);
  const byName = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let writer: ZkClient;
  let client: ZkClient;
  let server: DashboardServer;

  const page = async (offset: number, limit = PAGE) => {
    const answer = await ask(
      `${server.url}api/children?path=${parent}&offset=${offset}&limit=${limit}`,
    );
    expect(answer.status).toBe(200);
    return ChildrenPageSchema.parse(answer.json);
  };

  beforeAll(async () => {
    writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(parent);
    await inBatches(writer, parent, names, 'create');
    client = await ZkClient.connect({ connectString: sharedConnectString() });
    server = await startTestServer(client, root, new RecordingFeed('read-only'));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await client?.close();
    const left = await writer.getChildren(parent);
    await inBatches(writer, parent, left, 'delete');
    await writer.deleteRecursive(root);
    await writer.close();
  }, 60_000);

  // How fast a page is answered is the benchmark's business (npm run bench -- dashboard).
  it('pages through every child by name', async () => {
    const first = await page(0);
    expect(first.total).toBe(CHILDREN);
    const seen = first.children.map((c) => c.name);
    for (let offset = PAGE; offset < CHILDREN; offset += PAGE) {
      const next = await page(offset);
      expect(next.offset).toBe(offset);
      seen.push(...next.children.map((c) => c.name));
    }
    expect(seen).toEqual(byName);
    expect(seen.slice(0, 4)).toEqual(['item-0', 'item-1', 'item-10', 'item-100']);
    expect((await page(CHILDREN)).children).toEqual([]);
  });

  it('the kept order follows changes: a deleted child leaves its place, a new one takes its own', async () => {
    await page(0); // the order is kept from here on
    await writer.delete(`${parent}/item-1`);
    await writer.create(`${parent}/item-0a`);
    await writer.create(`${parent}/item-zz`);
    const firstFive = ['item-0', 'item-0a', 'item-10', 'item-100', 'item-1000'].join();
    await waitFor(
      'the changes in the pages',
      async () => {
        const head = await page(0, 5);
        return head.total === CHILDREN + 1 && head.children.map((c) => c.name).join() === firstFive;
      },
      5_000,
    );
    const last = await page(CHILDREN - 1, 5);
    expect(last.children.map((c) => c.name)).toEqual(['item-9999', 'item-zz']);
    // The parent's row counts its children as they are now (its Stat was read before).
    const top = await ask(`${server.url}api/children?path=${root}`);
    expect(top.json).toMatchObject({ children: [{ name: 'many', numChildren: CHILDREN + 1 }] });
  });
});

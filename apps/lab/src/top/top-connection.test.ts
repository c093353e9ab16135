import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sharedConnectString, testRoot, useFaultProxy, useTerminals } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';

// `lab top` as a user runs it (the built CLI, build first), its connection through a fault proxy.
const MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

const row = (name: string) => new RegExp(`^[ +~-]\\s+${name}\\s+pers\\s`, 'm');

describe('lab top across a lost session', () => {
  const terminals = useTerminals();
  const { proxy } = useFaultProxy();
  const root = testRoot();
  let writer: ZkClient;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build @zk-lab/lab first`);
    writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(`${root}/kept`);
    await writer.create(`${root}/gone-while-away`);
  });

  afterAll(async () => {
    await writer.deleteRecursive(root);
    await writer.close();
  });

  it('shows the loss in the status line, then reads the subtree again and watches it again', async () => {
    const firstServer = sharedConnectString().split(',')[0] as string;
    const link = 'top-view';
    const { listenPort } = await proxy().addLink(link, {
      targetPort: Number(firstServer.slice(firstServer.lastIndexOf(':') + 1)),
    });
    const top = await terminals.open(
      ['node', MAIN, 'top', root, '--connect', `127.0.0.1:${listenPort}`],
      { cols: 120, rows: 40 },
    );
    await top.waitForScreen(row('gone-while-away'));

    proxy().setMode(link, { kind: 'partition' });
    await top.waitForScreen(/^ SUSPENDED /m);
    await writer.delete(`${root}/gone-while-away`);
    await writer.create(`${root}/made-while-away`);
    // The session expires at the server (its timeout is at most 4 s on this ensemble).
    await top.waitForScreen(/^ LOST /m, 15_000);

    proxy().heal(link);
    await top.waitForScreen(/new session: watching and reading the subtree again/);
    const reloaded = await top.waitForScreen(
      (screen) => row('made-while-away').test(screen) && !row('gone-while-away').test(screen),
    );
    expect(reloaded).toMatch(/^ CONNECTED session 0x[0-9a-f]+ +3 nodes/m);

    // The new session watches: a change made now shows.
    await writer.create(`${root}/made-after`);
    await top.waitForScreen(row('made-after'));
    await top.type('q');
    expect(await top.waitForExit()).toBe(0);
  });
});

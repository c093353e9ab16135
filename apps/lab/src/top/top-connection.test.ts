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
    await writer.ensurePath(`${root}/lost/kept`);
    await writer.create(`${root}/lost/gone-while-away`);
    await writer.ensurePath(`${root}/cut/kept`);
    await writer.create(`${root}/cut/gone-while-cut`);
  });

  afterAll(async () => {
    await writer.deleteRecursive(root);
    await writer.close();
  });

  /** `lab top path` in a terminal, connected to the first server through proxy link `link`. */
  async function topThrough(link: string, path: string) {
    const firstServer = sharedConnectString().split(',')[0] as string;
    const { listenPort } = await proxy().addLink(link, {
      targetPort: Number(firstServer.slice(firstServer.lastIndexOf(':') + 1)),
    });
    return terminals.open(['node', MAIN, 'top', path, '--connect', `127.0.0.1:${listenPort}`], {
      cols: 120,
      rows: 40,
    });
  }

  it('after a cut connection (same session) it reads the subtree again: what changed shows', async () => {
    const link = 'top-cut';
    const top = await topThrough(link, `${root}/cut`);
    const before = await top.waitForScreen(row('gone-while-cut'));
    const session = /CONNECTED session (0x[0-9a-f]+)/.exec(before)?.[1];
    expect(session).toBeDefined();

    // Held, then reset: the events of these changes never reach the view, and a 3.8 server
    // does not replay them deep in a recursive watch's subtree.
    proxy().setMode(link, { kind: 'partition' });
    await writer.delete(`${root}/cut/gone-while-cut`);
    await writer.create(`${root}/cut/made-while-cut`);
    proxy().setMode(link, { kind: 'reset' });

    await top.waitForScreen(/reconnected: reading the subtree again/);
    const after = await top.waitForScreen(
      (screen) => row('made-while-cut').test(screen) && !row('gone-while-cut').test(screen),
    );
    expect(after).toContain(`CONNECTED session ${session}`);
    await top.type('q');
    expect(await top.waitForExit()).toBe(0);
  });

  it('shows the loss in the status line, then reads the subtree again and watches it again', async () => {
    const link = 'top-lost';
    const top = await topThrough(link, `${root}/lost`);
    await top.waitForScreen(row('gone-while-away'));

    proxy().setMode(link, { kind: 'partition' });
    await top.waitForScreen(/^ SUSPENDED /m);
    await writer.delete(`${root}/lost/gone-while-away`);
    await writer.create(`${root}/lost/made-while-away`);
    // The session expires at the server (its timeout is at most 4 s on this ensemble).
    await top.waitForScreen(/^ LOST /m, 15_000);

    proxy().heal(link);
    await top.waitForScreen(/new session: watching and reading the subtree again/);
    const reloaded = await top.waitForScreen(
      (screen) => row('made-while-away').test(screen) && !row('gone-while-away').test(screen),
    );
    expect(reloaded).toMatch(/^ CONNECTED session 0x[0-9a-f]+ +3 nodes/m);

    // The new session watches: a change made now shows.
    await writer.create(`${root}/lost/made-after`);
    await top.waitForScreen(row('made-after'));
    await top.type('q');
    expect(await top.waitForExit()).toBe(0);
  });
});

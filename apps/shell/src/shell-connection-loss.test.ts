/**
 * The interactive shell through a fault-proxy link to the shared ensemble's first server:
 * a short partition is announced and healed with the same session; one longer than the
 * session is announced as an expiry, ephemeral nodes gone, and a new session goes on.
 */
import type { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, useFaultProxy, useTerminals, waitFor } from '@zk-lab/test';
import { SHELL_MAIN as MAIN, useShellFixture } from './__tests__/shell-fixture';

const LINK = 'shell';
const SESSION_TIMEOUT_MS = 4_000;

describe('zk in a terminal when the connection goes', () => {
  const terminals = useTerminals();
  const { proxy } = useFaultProxy();
  const fixture = useShellFixture();
  const root = fixture.root;
  let client: ZkClient;
  beforeAll(() => (client = fixture.client()));

  it('says so on one line, goes on when reconnected, and starts a new session after an expiry', async () => {
    const server = sharedConnectString().split(',')[0]!;
    const { listenPort } = await proxy().addLink(LINK, {
      targetPort: Number(server.split(':')[1]),
    });
    const term = await terminals.open(
      [
        'node',
        MAIN,
        '--connect',
        `127.0.0.1:${listenPort}`,
        '--session-timeout',
        String(SESSION_TIMEOUT_MS),
      ],
      { env: fixture.env },
    );
    await term.waitForScreen('zk:/>');
    await term.type(`create -e ${root}/mine`);
    await term.press('Enter');
    await term.waitForScreen(new RegExp(`^${root}/mine$`, 'm'));

    // The connection is cut and every new one is held.
    proxy().setMode(LINK, { kind: 'reset' });
    proxy().setMode(LINK, { kind: 'partition' });
    await term.waitForScreen(
      /^connection lost: reconnecting; session 0x[0-9a-f]+ lives for \d+ ms more at most$/m,
    );
    await term.waitForScreen(/^zk\(suspended\):\/>$/m);
    // A command waiting for the connection: Ctrl+C gives the prompt back at once.
    await term.type(`ls ${root}`);
    await term.press('Enter');
    await term.press('C-c');
    await term.waitForScreen(/^ls: interrupted\nzk\(suspended\):\/>$/m);
    proxy().heal(LINK);
    await term.waitForScreen(
      /^reconnected: session 0x[0-9a-f]+ goes on, its ephemeral nodes and watches kept$/m,
    );
    expect(await client.exists(`${root}/mine`)).not.toBeNull();

    proxy().setMode(LINK, { kind: 'reset' });
    proxy().setMode(LINK, { kind: 'partition' });
    await term.waitForScreen(
      /expired: its ephemeral nodes are gone or going, its watches ended; starting a new session$/m,
    );
    proxy().heal(LINK);
    await term.waitForScreen(/^new session 0x[0-9a-f]+$/m);
    // The client gives the session up by its own clock. The server expires it at most one
    // session timeout after its last contact, which may be as late as the heal (a connect
    // attempt the partition held, carrying the old session); then its node goes.
    await waitFor(
      'the old session’s node to go',
      async () => (await client.exists(`${root}/mine`)) === null,
      SESSION_TIMEOUT_MS + 1_000,
    );
    await term.type(`ls ${root}`);
    await term.press('Enter');
    await term.waitForScreen(`zk:/> ls ${root}\nzk:/>`);
    await term.type('quit');
    await term.press('Enter');
    expect(await term.waitForExit()).toBe(0);
  });
});

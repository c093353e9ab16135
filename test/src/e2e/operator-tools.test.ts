/**
 * The operator's tools together, as a person uses them: the live view (`lab top`) in one
 * terminal, the shell (`npm run zk`) in another, both real programs in real terminals
 * (tmux) on the shared ensemble. What the shell does shows in the live view; when the
 * shell's session ends, its ephemeral node leaves the view. Build first (`npm test` does).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, type Terminal, testRoot, useTerminals } from '../index';

const APPS = resolve(__dirname, '..', '..', '..', 'apps');
const LAB = join(APPS, 'lab', 'dist', 'main.js');
const SHELL = join(APPS, 'shell', 'dist', 'main.js');

/** The live view's tree row of node `name` with its type column. */
const row = (name: string, type = '\\S+') => new RegExp(`^[ +~-]\\s+${name}\\s+${type}\\s`, 'm');

describe('the shell and the live view, side by side', () => {
  const terminals = useTerminals();
  const root = testRoot();
  const connect = sharedConnectString();
  const home = mkdtempSync(join(tmpdir(), 'zk-operator-tools-'));
  let admin: ZkClient;
  let top: Terminal;
  let shell: Terminal;

  beforeAll(async () => {
    for (const main of [LAB, SHELL]) {
      if (!existsSync(main)) throw new Error(`${main} is missing: build first (npm test builds)`);
    }
    admin = await ZkClient.connect({ connectString: connect });
    await admin.ensurePath(root);
    top = await terminals.open(['node', LAB, 'top', root, '--connect', connect], {
      cols: 120,
      rows: 40,
    });
    await top.waitForScreen(/CONNECTED session 0x[0-9a-f]+ +1 nodes/);
    shell = await terminals.open(['node', SHELL, '--connect', connect], {
      env: { ZK_SHELL_HISTORY: join(home, 'history') },
    });
    await shell.waitForScreen('zk:/>');
  });

  afterAll(async () => {
    await admin.deleteRecursive(root).catch(() => undefined);
    await admin.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("an ephemeral node made in the shell shows in the view with the shell's session, and goes when the shell's session ends", async () => {
    await shell.type(`create -e ${root}/from-shell hello`);
    await shell.press('Enter');
    // The shell prints the path it created on a line of its own.
    await shell.waitForScreen(new RegExp(`^${root}/from-shell$`, 'm'));
    await shell.type('whoami');
    await shell.press('Enter');
    const whoami = await shell.waitForScreen(/session\s+0x[0-9a-f]+/);
    const session = /session\s+(0x[0-9a-f]+)/.exec(whoami)![1]!;

    const seen = await top.waitForScreen(row('from-shell', 'eph'));
    expect(seen).toMatch(new RegExp(`from-shell\\s+eph\\s+\\d+\\s+\\d+\\s+\\d+ ${session}`));
    expect(seen).toMatch(new RegExp(`${session} 1 node\\(s\\)`));

    await shell.type('quit');
    await shell.press('Enter');
    expect(await shell.waitForExit()).toBe(0);
    // The shell closed its session: the server deleted the node, and the view says so.
    const after = await top.waitForScreen((screen) => !row('from-shell').test(screen));
    expect(after).toMatch(new RegExp(`deleted\\s+\\S*/from-shell\\s+session ${session}`));
    expect(after).not.toMatch(new RegExp(`${session} \\d+ node`));
    expect(await admin.exists(`${root}/from-shell`)).toBeNull();
  });
});

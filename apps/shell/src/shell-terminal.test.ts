/**
 * The interactive shell in a real terminal (tmux): what a person types, what the screen
 * shows. The built shell runs against the shared ensemble with a history file of its own.
 */
import { readFileSync } from 'node:fs';
import type { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, useTerminals } from '@zk-lab/test';
import { SHELL_MAIN as MAIN, useShellFixture } from './__tests__/shell-fixture';

describe('zk, the interactive shell, in a terminal', () => {
  const terminals = useTerminals();
  const fixture = useShellFixture();
  const root = fixture.root;
  const history = fixture.history;
  let client: ZkClient;
  beforeAll(() => (client = fixture.client()));

  const openShell = () =>
    terminals.open(['node', MAIN, '--connect', sharedConnectString()], {
      env: fixture.env,
    });

  it('Tab completes a live path, created by another client', async () => {
    await client.create(`${root}/alpha-node`);
    await client.create(`${root}/beta-node`);
    const term = await openShell();
    await term.waitForScreen('zk:/>');
    await term.type(`ls ${root}/al`);
    await term.press('Tab');
    await term.waitForScreen(`zk:/> ls ${root}/alpha-node`);
    await term.press('Enter');
    await term.type('quit');
    await term.press('Enter');
    expect(await term.waitForExit()).toBe(0);
  });

  it('a missing node prints exactly one clean line, and the shell goes on', async () => {
    const term = await openShell();
    await term.waitForScreen('zk:/>');
    await term.type(`cd ${root}`);
    await term.press('Enter');
    await term.waitForScreen(`zk:${root}>`);
    await term.type('get nope');
    await term.press('Enter');
    // As a person would: the next command once the prompt is back.
    await term.waitForScreen(new RegExp(`no such node\\nzk:${root}>$`, 'm'));
    await term.type('pwd');
    await term.press('Enter');
    const screen = await term.waitForScreen(new RegExp(`^${root}$`, 'm'));
    const rows = screen.split('\n');
    const at = rows.indexOf(`zk:${root}> get nope`);
    expect(rows.slice(at, at + 3)).toEqual([
      `zk:${root}> get nope`,
      `get: ${root}/nope: no such node`,
      `zk:${root}> pwd`,
    ]);
    await term.press('C-d');
    expect(await term.waitForExit()).toBe(0);
  });

  it("an ephemeral node made in the shell is seen by another client, and goes when the shell's session ends", async () => {
    const path = `${root}/ephemeral-1`;
    const term = await openShell();
    await term.waitForScreen('zk:/>');
    await term.type(`create -e ${path}`);
    await term.press('Enter');
    await term.waitForScreen(new RegExp(`^${path}$`, 'm'));
    expect(await client.exists(path)).not.toBeNull();
    await term.type('quit');
    await term.press('Enter');
    expect(await term.waitForExit()).toBe(0);
    // quit closes the session: the node goes at once, not a session timeout later.
    expect(await client.exists(path)).toBeNull();
  });

  it('Ctrl-D ends the session as quit does', async () => {
    const path = `${root}/ephemeral-2`;
    const term = await openShell();
    await term.waitForScreen('zk:/>');
    await term.type(`create -e ${path}`);
    await term.press('Enter');
    await term.waitForScreen(new RegExp(`^${path}$`, 'm'));
    await term.press('C-d');
    expect(await term.waitForExit()).toBe(0);
    expect(await client.exists(path)).toBeNull();
  });

  it('history is kept between runs: Up recalls the last run’s command', async () => {
    const first = await openShell();
    await first.waitForScreen('zk:/>');
    await first.type(`ls ${root}/alpha-node`);
    await first.press('Enter');
    await first.type('quit');
    await first.press('Enter');
    await first.waitForExit();
    expect(readFileSync(history, 'utf8')).toContain(`ls ${root}/alpha-node\nquit\n`);

    const second = await openShell();
    await second.waitForScreen('zk:/>');
    await second.press('Up', 'Up');
    await second.waitForScreen(`zk:/> ls ${root}/alpha-node`);
    await second.press('C-u', 'C-d');
    expect(await second.waitForExit()).toBe(0);
  });

  it('rmr of a large subtree asks first; no keeps it, y deletes it', async () => {
    await client.create(`${root}/big`);
    for (let i = 0; i < 11; i++) await client.create(`${root}/big/n${i}`);
    const term = await openShell();
    await term.waitForScreen('zk:/>');
    await term.type(`rmr ${root}/big`);
    await term.press('Enter');
    await term.waitForScreen(
      `rmr: delete ${root}/big and the 11 nodes under it (12 in all)? [y/N]`,
    );
    await term.type('n');
    await term.press('Enter');
    await term.waitForScreen(`rmr: ${root}/big: not deleted`);
    expect(await client.exists(`${root}/big`)).not.toBeNull();
    await term.type(`rmr ${root}/big`);
    await term.press('Enter');
    await term.waitForScreen(/\(12 in all\)\? \[y\/N\]$/m);
    await term.type('y');
    await term.press('Enter');
    await term.waitForScreen('deleted 12 nodes');
    expect(await client.exists(`${root}/big`)).toBeNull();
    await term.press('C-d');
    expect(await term.waitForExit()).toBe(0);
  });

  it('watch --recursive prints events as they come until Ctrl+C, then the prompt is back', async () => {
    const term = await openShell();
    await term.waitForScreen('zk:/>');
    await term.type(`watch --recursive ${root}`);
    await term.press('Enter');
    await term.waitForScreen('Ctrl+C stops');
    await client.create(`${root}/watched`, 'x');
    await term.waitForScreen(new RegExp(`NodeCreated ${root}/watched$`, 'm'));
    await client.setData(`${root}/watched`, 'y');
    await term.waitForScreen(new RegExp(`NodeDataChanged ${root}/watched$`, 'm'));
    await term.press('C-c');
    await term.waitForScreen(/^zk:\/>$/m);
    // Ctrl-D during a watch leaves too.
    await term.type(`watch --persistent ${root}`);
    await term.press('Enter');
    await term.waitForScreen(`watching ${root} (persistent); Ctrl+C stops`);
    await term.press('C-d');
    expect(await term.waitForExit()).toBe(0);
  });

  it('a one-shot rmr on a terminal asks there too', async () => {
    await client.create(`${root}/big2`);
    for (let i = 0; i < 11; i++) await client.create(`${root}/big2/n${i}`);
    const term = await terminals.open(
      ['node', MAIN, '--connect', sharedConnectString(), 'rmr', `${root}/big2`],
      { env: fixture.env },
    );
    await term.waitForScreen(/\(12 in all\)\? \[y\/N\]$/m);
    await term.type('y');
    await term.press('Enter');
    expect(await term.waitForExit()).toBe(0);
    expect(await term.screen()).toContain('deleted 12 nodes');
    expect(await client.exists(`${root}/big2`)).toBeNull();
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sharedConnectString, type Terminal, testRoot, useTerminals } from '@zk-lab/test';
import { CreateMode, digestAcl, Perms, ZkClient } from '@zk-lab/zk-client';
import { sessionHex } from './znode-tree';

// `lab top` as a user runs it: the built CLI (build first), in a real terminal (tmux).
const MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

/** The tree row of a node named `name`: its flash mark, then its name, then its type. */
const row = (name: string, type = '\\S+') => new RegExp(`^[ +~-]\\s+${name}\\s+${type}\\s`, 'm');
/** The same row drawn in a colour (tmux's SGR code for it: 32 green, 33 yellow, 31 red). */
const colouredRow = (name: string, sgr: number) =>
  new RegExp(`\\x1b\\[${sgr}m[+~-]\\s+${name}\\s`, 'm');

describe('lab top: the live view in a real terminal', () => {
  const terminals = useTerminals();
  const root = testRoot();
  const connect = sharedConnectString();
  let writer: ZkClient;
  let top: Terminal;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build @zk-lab/lab first`);
    writer = await ZkClient.connect({ connectString: connect, sessionTimeoutMs: 4_000 });
    await writer.ensurePath(root);
    await writer.create(`${root}/before-1`, 'hello');
    await writer.create(`${root}/before-2`, '{"n":2}');
    await writer.create(`${root}/secret`, 'hidden', { acl: [digestAcl('u', 'p', Perms.ALL)] });
    top = await terminals.open(['node', MAIN, 'top', root, '--connect', connect], {
      cols: 120,
      rows: 40,
      env: { FORCE_COLOR: '1' },
    });
  });

  afterAll(async () => {
    await writer.delete(`${root}/secret`); // deleteRecursive cannot list what it may not read
    await writer.deleteRecursive(root);
    await writer.close();
  });

  it('shows the nodes made before it started, with their data', async () => {
    // Rows can be drawn before the load's last reads are in (the status line then says
    // "reading the subtree…"): wait for the whole load, as a person would.
    const loaded = /CONNECTED session 0x[0-9a-f]+ +4 nodes/;
    const screen = await top.waitForScreen((s) => row('before-2').test(s) && loaded.test(s));
    expect(screen).toMatch(row('before-1', 'pers'));
    expect(screen).toContain('hello');
  });

  it('the ensemble panel names each server with its mode and zxid, one of them the leader', async () => {
    const screen = await top.waitForScreen(/127\.0\.0\.1:\d+ leader 0x[0-9a-f]+/);
    const servers = sharedConnectString().split(',');
    for (const server of servers) {
      expect(screen).toMatch(new RegExp(`${server.replace(/\./g, '\\.')} (leader|follower) 0x`));
    }
  });

  it('shows a node it may not read with its Stat and no data', async () => {
    const screen = await top.waitForScreen(row('secret', 'pers'));
    expect(screen).toMatch(/secret\s+pers\s+0\s+0\s+6\s+\(NoAuth\)/);
    expect(screen).not.toContain('hidden');
  });

  it('a node created by another client appears flashing green, a change flashes yellow', async () => {
    await writer.create(`${root}/fresh`, 'v1');
    await top.waitForScreen(colouredRow('fresh', 32), 5_000, true);
    await writer.setData(`${root}/fresh`, 'v2');
    const screen = await top.waitForScreen(colouredRow('fresh', 33), 5_000, true);
    expect(screen).toMatch(/changed\s+\S*\/fresh/);
  });

  it('a deleted node flashes red, then leaves the tree', async () => {
    await writer.delete(`${root}/fresh`);
    await top.waitForScreen(colouredRow('fresh', 31), 5_000, true);
    await top.waitForScreen((screen) => !row('fresh').test(screen), 5_000);
  });

  it("another client's ephemeral node shows with its session, and goes when the session ends", async () => {
    const other = await ZkClient.connect({ connectString: connect, sessionTimeoutMs: 4_000 });
    const session = sessionHex(other.sessionId);
    try {
      await other.create(`${root}/eph-node`, 'mine', { mode: CreateMode.EPHEMERAL });
      const screen = await top.waitForScreen(row('eph-node', 'eph'));
      expect(screen).toMatch(new RegExp(`eph-node\\s+eph\\s+\\d+\\s+\\d+\\s+\\d+ ${session}`));
      expect(screen).toMatch(new RegExp(`${session} 1 node\\(s\\)`));
    } finally {
      await other.close();
    }
    await top.waitForScreen(colouredRow('eph-node', 31), 5_000, true);
    const after = await top.waitForScreen((screen) => !row('eph-node').test(screen), 5_000);
    expect(after).not.toMatch(new RegExp(`${session} \\d+ node`));
    expect(after).toMatch(new RegExp(`deleted\\s+\\S*/eph-node\\s+session ${session}`));
  });

  it('filters by substring (Esc clears it) and follows a node into the detail pane', async () => {
    await top.type('/');
    await top.waitForScreen('Enter keeps it');
    // The text and its Enter in one write: one input, as a loaded machine delivers keys (a
    // CI run's filter took the Enter as text, matched nothing and never closed).
    await top.type('before-2\r');
    await top.waitForScreen(
      (screen) => row('before-2').test(screen) && !row('before-1').test(screen),
    );
    await top.press('Escape');
    await top.waitForScreen(row('before-1'));
    await top.press('Down');
    await top.type('f');
    const screen = await top.waitForScreen('Following before-1');
    expect(screen).toMatch(/version 0 {2}cversion 0/);
  });

  it('q quits with exit code 0', async () => {
    await top.type('q');
    expect(await top.waitForExit()).toBe(0);
  });
});

describe('lab top without a terminal', () => {
  const top = (args: string[]) =>
    spawnSync(process.execPath, [MAIN, 'top', ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 30_000,
    });

  it('--help prints its usage, keys included, and exits 0', () => {
    const result = top(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('lab top [PATH] [--connect host:port,…]');
    expect(result.stdout).toContain('f follow the selected node');
  });

  it('a bad path or a second path is bad usage: one line, exit code 2', () => {
    for (const args of [['no-slash'], ['/a', '/b']]) {
      const result = top([...args, '--connect', sharedConnectString()]);
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses with one line and exit code 2', () => {
    const result = spawnSync(
      process.execPath,
      [MAIN, 'top', '/', '--connect', sharedConnectString()],
      { encoding: 'utf8', stdio: 'pipe', timeout: 30_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('lab top needs a terminal'),
    ]);
  });
});

/**
 * The built shell as a script or a one-shot command runs it: a child process against the
 * run's shared ensemble, judged by its stdout, stderr and exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMode, digestAcl, OPEN_ACL_UNSAFE, Perms, ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString } from '@zk-lab/test';
import { SHELL_MAIN as MAIN, useShellFixture } from './__tests__/shell-fixture';
import { complete } from './completion';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function zk(args: string[], input = ''): Promise<Run> & { child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, [MAIN, '--connect', sharedConnectString(), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const done = new Promise<Run>((resolveRun) =>
    child.on('close', (code) => resolveRun({ code, stdout, stderr })),
  );
  return Object.assign(done, { child });
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('zk one-shot commands and scripts', () => {
  const fixture = useShellFixture('alice:pw'); // alice: the ACL test's node
  const root = fixture.root;
  let client: ZkClient;
  beforeAll(() => (client = fixture.client()));

  it('creates, lists and reads: JSON data comes out indented', async () => {
    const made = await zk(['create', `${root}/conf`, '{"workers":3}']);
    expect(made).toEqual({ code: 0, stdout: `${root}/conf\n`, stderr: '' });
    expect((await zk(['ls', root])).stdout).toBe('conf\n');
    expect((await zk(['get', `${root}/conf`])).stdout).toBe('{\n  "workers": 3\n}\n');
    expect((await zk(['get', '--hex', `${root}/conf`])).stdout).toMatch(/^00000000: 7b22/);
  });

  it('a missing node is one clean line naming the path, and exit code 1', async () => {
    const run = await zk(['ls', `${root}/nope`]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `ls: ${root}/nope: no such node\n` });
    const orphan = await zk(['create', `${root}/nope/child`]);
    expect(orphan.stderr).toBe(
      `create: ${root}/nope/child: no parent node ${root}/nope (-p creates it)\n`,
    );
  });

  it('bad usage is exit code 2, and no connection exit code 3, each one line', async () => {
    const usage = await zk(['ls', '--bogus', root]);
    expect(usage.code).toBe(2);
    expect(lines(usage.stderr)[0]).toBe('ls: unknown flag --bogus');
    const unknown = await zk(['frobnicate']);
    expect(unknown.code).toBe(2);
    const refused = spawn(process.execPath, [
      MAIN,
      '--connect',
      '127.0.0.1:1',
      '--connect-timeout',
      '500',
      'ls',
      '/',
    ]);
    let stderr = '';
    refused.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((r) => refused.on('close', r));
    expect(code).toBe(3);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^zk: cannot connect to 127\.0\.0\.1:1: /);
    // Nothing named and no lab running is "cannot connect" too; a malformed string is usage.
    const emptyLab = mkdtempSync(join(tmpdir(), 'zk-shell-nolab-'));
    const env = { ...process.env, ZK_CONNECT: '', ZK_LAB_STATE: emptyLab };
    const nothing = spawnSync(process.execPath, [MAIN, 'ls', '/'], { env, encoding: 'utf8' });
    rmSync(emptyLab, { recursive: true, force: true });
    expect(nothing.status).toBe(3);
    expect(nothing.stderr).toMatch(/^zk: no ZooKeeper to connect to: pass --connect/);
    const malformed = spawnSync(process.execPath, [MAIN, '--connect', 'no port', 'ls', '/'], {
      encoding: 'utf8',
    });
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/^zk: bad connect string "no port"/);
  });

  it('--json prints one JSON value a result: ls -l, stat, get', async () => {
    await client.create(`${root}/j`, 'text');
    await client.create(`${root}/j/a`, '');
    const ls = await zk(['--json', 'ls', '-l', `${root}/j`]);
    expect(JSON.parse(ls.stdout)).toEqual([
      expect.objectContaining({ name: 'a', kind: 'persistent', dataVersion: 0, numChildren: 0 }),
    ]);
    const stat = JSON.parse((await zk(['--json', 'stat', `${root}/j`])).stdout) as Record<
      string,
      unknown
    >;
    expect(stat).toMatchObject({ path: `${root}/j`, numChildren: 1, dataLength: 4 });
    const got = JSON.parse((await zk(['--json', 'get', `${root}/j`])).stdout) as unknown;
    expect(got).toMatchObject({ encoding: 'utf8', data: 'text' });
  });

  it('--read-only refuses every write before sending it', async () => {
    for (const words of [
      ['create', `${root}/ro`],
      ['set', `${root}/conf`, 'x'],
      ['rm', `${root}/conf`],
      ['rmr', '-f', `${root}/conf`],
      ['setacl', `${root}/conf`, 'world:anyone:r'],
    ]) {
      const run = await zk(['--read-only', ...words]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`${words[0]}: refused: the shell is read-only (--read-only)\n`);
    }
    expect(await client.exists(`${root}/ro`)).toBeNull();
    expect((await client.getData(`${root}/conf`)).stat.version).toBe(0);
    expect((await zk(['--read-only', 'get', `${root}/conf`])).code).toBe(0);
  });

  it('a script stops at its first failing line and names it; --keep-going runs on', async () => {
    const script = [
      `# make a node`,
      `create ${root}/s1`,
      `ls ${root}/missing`,
      `create ${root}/s2`,
    ].join('\n');
    const stopped = await zk([], script);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toBe(`line 3: ls: ${root}/missing: no such node\n`);
    expect(await client.exists(`${root}/s2`)).toBeNull();

    const kept = await zk(['--keep-going'], script.replace('s1', 's3'));
    expect(kept.code).toBe(1);
    expect(await client.exists(`${root}/s2`)).not.toBeNull();
  });

  it('a script works relative to cd, and its ephemeral nodes end with it', async () => {
    const run = await zk(
      [],
      [
        `cd ${root}`,
        'create -p deep/er/leaf',
        'create -e eph',
        'cd deep/er',
        'pwd',
        'ephemerals',
      ].join('\n'),
    );
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toEqual([
      `${root}/deep/er/leaf`,
      `${root}/eph`,
      `${root}/deep/er`,
      `${root}/eph`,
    ]);
    expect(await client.exists(`${root}/deep/er/leaf`)).not.toBeNull();
    // The session is closed on exit: its ephemeral node is gone at once.
    expect(await client.exists(`${root}/eph`)).toBeNull();
  });

  it('rmr of more than 10 nodes without a terminal refuses unless -f', async () => {
    await client.create(`${root}/many`);
    for (let i = 0; i < 11; i++) await client.create(`${root}/many/n${i}`);
    const refused = await zk(['rmr', `${root}/many`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `rmr: ${root}/many: 12 nodes: without a terminal to ask, pass -f\n`,
    );
    expect(await client.exists(`${root}/many`)).not.toBeNull();
    const forced = await zk(['rmr', '-f', `${root}/many`]);
    expect(forced).toMatchObject({ code: 0, stdout: 'deleted 12 nodes\n' });
    expect(await client.exists(`${root}/many`)).toBeNull();
  });

  it('set -v and rm -v check the version', async () => {
    await client.create(`${root}/v`, 'a');
    const stale = await zk(['set', '-v', '5', `${root}/v`, 'b']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(
      `set: ${root}/v: version does not match (stat shows the current one)\n`,
    );
    expect((await zk(['set', '-v', '0', `${root}/v`, 'b'])).stdout).toBe(`${root}/v: version 1\n`);
    expect((await zk(['rm', '-v', '0', `${root}/v`])).code).toBe(1);
    expect((await zk(['rm', '-v', '1', `${root}/v`])).code).toBe(0);
  });

  it('find, grep, du, count and tree see the subtree', async () => {
    const base = `${root}/search`;
    await client.create(base);
    await client.create(`${base}/lock-1`, 'owner=alice');
    await client.create(`${base}/lock-2`, 'owner=bob\nstate=held');
    await client.create(`${base}/other`, 'xyz');
    expect((await zk(['find', '-n', 'lock-*', base])).stdout).toBe(
      `${base}/lock-1\n${base}/lock-2\n`,
    );
    expect((await zk(['grep', 'bob', base])).stdout).toBe(`${base}/lock-2: owner=bob\n`);
    expect((await zk(['count', base])).stdout).toBe(`3 nodes under ${base}\n`);
    const du = JSON.parse((await zk(['--json', 'du', base])).stdout) as {
      path: string;
      bytes: number;
      nodes: number;
    }[];
    expect(du[0]).toMatchObject({ path: base, bytes: 34, nodes: 4 });
    expect(lines((await zk(['tree', base])).stdout)).toEqual([
      `${base} [3]`,
      '├── lock-1',
      '├── lock-2',
      '└── other',
      '4 nodes, 2 levels',
    ]);
  });

  it("ephemerals --session finds another session's ephemeral nodes", async () => {
    const other = await ZkClient.connect({ connectString: sharedConnectString() });
    try {
      await other.create(`${root}/theirs`, '', { mode: CreateMode.EPHEMERAL });
      const session = `0x${other.sessionId.toString(16)}`;
      expect((await zk(['ephemerals', '--session', session, root])).stdout).toBe(
        `${root}/theirs\n`,
      );
    } finally {
      await other.close();
    }
  });

  it('a digest ACL: getacl shows it, a read without addauth is refused, with it allowed', async () => {
    await client.create(`${root}/secret`, 'hidden', {
      acl: [digestAcl('alice', 'pw', Perms.ALL), { ...OPEN_ACL_UNSAFE[0]!, perms: Perms.ADMIN }],
    });
    const acl = await zk(['getacl', `${root}/secret`]);
    expect(lines(acl.stdout)).toEqual([
      expect.stringMatching(/^digest:alice:.+:cdrwa$/),
      'world:anyone:a',
    ]);
    const denied = await zk(['get', `${root}/secret`]);
    expect(denied.stderr).toBe(
      `get: ${root}/secret: not authorized (see getacl; addauth proves an identity)\n`,
    );
    // stat needs no permission on the node.
    expect((await zk(['stat', `${root}/secret`])).code).toBe(0);
    const allowed = await zk([], `addauth digest alice:pw\nget ${root}/secret\nwhoami`);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('hidden\n');
    expect(allowed.stdout).toContain('digest:alice');
    expect(allowed.stdout).not.toContain('pw');
    const set = await zk(['setacl', `${root}/conf`, 'world:anyone:r']);
    expect(set.stdout).toBe(`${root}/conf: ACL version 1\n`);
  });

  it('watch --once prints the first event and ends; whoami and 4lw name the server', async () => {
    await client.create(`${root}/watched`, 'a');
    const watching = zk(['watch', `${root}/watched`]);
    await new Promise<void>((resolveWait) => {
      let seen = '';
      watching.child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('watching')) resolveWait();
      });
    });
    await client.setData(`${root}/watched`, 'b');
    const run = await watching;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} NodeDataChanged ${root}/watched\\n$`),
    );

    const who = JSON.parse((await zk(['--json', 'whoami'])).stdout) as { server: string };
    expect(sharedConnectString().split(',')).toContain(who.server);
    const srvr = await zk(['4lw', 'srvr']);
    expect(srvr.stdout).toMatch(/^Mode: (leader|follower)$/m);
    const all = await zk(['4lw', '--all', 'ruok']);
    expect(lines(all.stdout).filter((l) => l === 'imok')).toHaveLength(3);
  });

  it('completion offers command names, then flags, then live paths relative to the working node', async () => {
    await client.create(`${root}/comp`);
    await client.create(`${root}/comp/alpha`);
    await client.create(`${root}/comp/alpha/inner`);
    await client.create(`${root}/comp/alps`);
    expect(await complete(client, '/', 'wh')).toEqual([['whoami'], 'wh']);
    expect(await complete(client, '/', 'create --p')).toEqual([['--parents'], '--p']);
    expect(await complete(client, `${root}/comp`, 'ls al')).toEqual([['alpha', 'alps'], 'al']);
    // One match with children gets its slash, so the next Tab goes on down.
    expect(await complete(client, root, 'get comp/alph')).toEqual([['comp/alpha/'], 'comp/alph']);
    expect(await complete(client, root, 'ls ../nothing-here/x')).toEqual([[], '../nothing-here/x']);
    // set's second argument is data, not a path.
    expect(await complete(client, root, 'set comp ')).toEqual([[], '']);
    expect(await complete(client, root, 'help cou')).toEqual([['count'], 'cou']);
  });

  it('data from a local file keeps its bytes; binary data is shown as hex', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-shell-data-'));
    try {
      writeFileSync(join(dir, 'blob'), Buffer.from([0x00, 0xff, 0x41]));
      writeFileSync(join(dir, 'conf.json'), '[1,2]');
      expect((await zk(['create', '--file', join(dir, 'blob'), `${root}/blob`])).code).toBe(0);
      expect((await client.getData(`${root}/blob`)).data).toEqual(Buffer.from([0x00, 0xff, 0x41]));
      expect((await zk(['get', `${root}/blob`])).stdout).toBe(
        '00000000: 00ff 41                                  ..A\n',
      );
      expect((await zk(['set', `${root}/blob`, '--file', join(dir, 'conf.json')])).code).toBe(0);
      expect((await zk(['get', `${root}/blob`])).stdout).toBe('[\n  1,\n  2\n]\n');
      const both = await zk(['set', `${root}/blob`, 'x', '--file', join(dir, 'conf.json')]);
      expect(both).toMatchObject({ code: 2, stderr: 'set: give the data or --file, not both\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help and help COMMAND answer without ZooKeeper', async () => {
    const noServer = ['--connect', '127.0.0.1:1', '--connect-timeout', '500'];
    const usage = await zk([...noServer, '--help']);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/^exit codes: 0 ok, 1 .*, 2 bad usage, 3 cannot connect$/m);
    const create = await zk([...noServer, 'help', 'create']);
    expect(lines(create.stdout)).toContain(
      '  -t, --ttl MS      deleted after MS ms without change',
    );
    const json = await zk([...noServer, '--json', 'help', 'ls']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'ls', usage: '[-l] [PATH]' });
    expect((await zk([...noServer, 'help', 'frobnicate'])).code).toBe(2);
  });
});

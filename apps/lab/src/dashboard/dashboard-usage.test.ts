import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { READ_ONLY_REFUSAL, SnapshotSchema } from '@zk-lab/dashboard';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { MAIN } from '../__tests__/lab-processes';
import { ask } from './__tests__/dashboard-http';

// `lab dashboard` as the user runs it: the built CLI (build first), no lab, no ZK_CONNECT.
const EMPTY_STATE = mkdtempSync(join(tmpdir(), 'zk-lab-dashboard-nostate-'));
const env = (): NodeJS.ProcessEnv => {
  const copy: NodeJS.ProcessEnv = { ...process.env, ZK_LAB_STATE: EMPTY_STATE };
  delete copy.ZK_CONNECT;
  return copy;
};

function lab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { encoding: 'utf8', timeout: 20_000, env: env() },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('lab dashboard (the built CLI)', () => {
  it('--help states every option and the exit codes; lab --help names the command and lab up’s flags', async () => {
    const help = await lab(['dashboard', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--connect', '--root', '--port', '--host', '--open', '--state']) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toMatch(/Exit codes: 0 .*, 1 .*, 2 bad usage/);
    const usage = await lab(['--help']);
    for (const text of [
      'lab dashboard',
      '--dashboard-port',
      '--dashboard-host',
      '--no-dashboard',
    ]) {
      expect(usage.stdout).toContain(text);
    }
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'http'], /--port must be a port number/],
    [['--port', '70000'], /--port must be a port number/],
    [['--root', 'relative'], /--root: bad path "relative"/],
    [['--host', 'a host'], /--host must be a host name/],
    [['--connect', 'nohostport'], /connect/],
  ])(
    'lab dashboard %j is bad usage: one line, exit 2, nothing on stdout',
    async (args, message) => {
      const { code, stdout, stderr } = await lab(['dashboard', ...args]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    },
  );

  it('lab up with a bad dashboard flag is bad usage before anything starts', async () => {
    const { code, stderr } = await lab(['up', '--dashboard-port', 'x', '--state', EMPTY_STATE]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: --dashboard-port must be a port number/);
  });

  it('serves an ensemble read-only until Ctrl+C: prints its URL, answers, refuses a POST, exits 0', async () => {
    const root = testRoot();
    const writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(`${root}/seen`);
    const child = spawn(
      process.execPath,
      [MAIN, 'dashboard', '--connect', sharedConnectString(), '--root', root, '--port', '0'],
      { env: env() },
    );
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const found = /^dashboard \(read-only\): (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(line);
          if (found) resolve(found[1] as string);
        });
        child.once('exit', (code) => reject(new Error(`lab dashboard exited (${code})`)));
      });
      const snapshot = await ask(`${url}api/snapshot`);
      expect(SnapshotSchema.parse(snapshot.json).mode).toBe('read-only');
      const children = await ask(`${url}api/children?path=${root}`);
      expect(children.json).toMatchObject({ total: 1, children: [{ name: 'seen' }] });
      const refused = await ask(`${url}api/actions`, { method: 'POST', body: { kind: 'x' } });
      expect([refused.status, refused.json]).toEqual([403, { error: READ_ONLY_REFUSAL }]);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await writer.deleteRecursive(root);
      await writer.close();
    }
  });
});

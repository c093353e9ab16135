import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

// The CLI as the user runs it: the built entry point (npm test builds first), as a process.
const MAIN = resolve(__dirname, '..', 'dist', 'main.js');

function lab(args: string[], state: string) {
  const result = spawnSync(process.execPath, [MAIN, ...args, '--state', state], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface StatusJson {
  connectString: string;
  nodes: { id: number; pid: number | null; state: string; report?: { mode: string } | null }[];
}

function status(state: string): StatusJson {
  const { code, stdout, stderr } = lab(['zk', 'status', '--json'], state);
  if (code !== 0) throw new Error(`lab zk status failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as StatusJson;
}

/** Alive means running or stopped; a zombie waiting to be reaped is dead. */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
});

describe('lab zk: a background ensemble driven from the command line', () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-cli-test-'));
  afterAll(() => {
    // Whatever the tests did: no server may outlive this file.
    if (existsSync(join(state, 'zk'))) lab(['zk', 'down'], state);
  });

  it('zk up starts three servers: one leader, two followers', () => {
    const { code, stdout } = lab(['zk', 'up', '--size', '3'], state);
    expect(code).toBe(0);
    expect(stdout).toMatch(/connect string: 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+/);
    expect(stdout).toContain('1 leader, 2 followers');
    const rows = status(state).nodes;
    expect(rows.map((r) => r.report?.mode).sort()).toEqual(['follower', 'follower', 'leader']);
  });

  it('zk up again refuses while the servers run, and says how to stop them', () => {
    const { code, stderr } = lab(['zk', 'up'], state);
    expect(code).toBe(1);
    expect(stderr).toMatch(/already running.*lab zk down/);
  });

  it('zk kill N kills that server; zk start N brings it back as a follower', () => {
    const leader = status(state).nodes.find((r) => r.report?.mode === 'leader')!;
    const killed = lab(['zk', 'kill', String(leader.id)], state);
    expect(killed.code).toBe(0);
    expect(killed.stdout).toContain(`server ${leader.id} (pid ${leader.pid}) killed with SIGKILL`);
    expect(pidAlive(leader.pid!)).toBe(false);
    expect(killed.stdout).toMatch(/server \d leads \(quorum after \d+ ms\)/);

    const after = lab(['zk', 'status'], state);
    expect(after.stdout).toMatch(new RegExp(`^${leader.id}\\s+down`, 'm'));
    expect(after.stdout).toContain('1 leader, 1 follower, 1 down or paused');

    const started = lab(['zk', 'start', String(leader.id)], state);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`server ${leader.id} started`);
    expect(started.stdout).toContain('serving as follower');
  });

  it('zk pause N and zk resume N freeze and thaw a server', () => {
    expect(lab(['zk', 'pause', '2'], state).code).toBe(0);
    expect(status(state).nodes.find((r) => r.id === 2)?.state).toBe('paused');
    expect(lab(['zk', 'resume', '2'], state).code).toBe(0);
    expect(status(state).nodes.find((r) => r.id === 2)?.state).toBe('up');
  });

  it('zk down stops every server and leaves no process behind', () => {
    const pids = status(state).nodes.map((r) => r.pid!);
    const { code, stdout } = lab(['zk', 'down'], state);
    expect(code).toBe(0);
    expect(stdout).toContain('stopped 3 server(s)');
    expect(pids.filter(pidAlive)).toEqual([]);
    const after = lab(['zk', 'status'], state);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('no lab ensemble');
  });
});

describe('lab: usage', () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-cli-usage-'));

  it('help prints every command and exits 0', () => {
    const { code, stdout } = lab(['help'], state);
    expect(code).toBe(0);
    for (const command of ['lab up', 'zk up', 'zk status', 'zk kill N', 'zk start N', 'zk down']) {
      expect(stdout).toContain(command);
    }
  });

  it.each([
    [['zk', 'up', '--size', '2'], /--size: must be odd/],
    [['zk', 'kill'], /needs a server number/],
    [['zk', 'kill', 'x'], /bad server number/],
    [['zk', 'explode'], /unknown command: zk explode/],
    [['zk', 'status', '--bogus'], /Unknown option '--bogus'/],
  ])('lab %j is bad usage: exit 2 with a clear error', (args, message) => {
    const { code, stderr } = lab(args, state);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage:');
  });
});

describe('lab up (npm run lab): the foreground lab', () => {
  it('shows three servers, one leader and two followers, and Ctrl+C stops them all', async () => {
    const state = mkdtempSync(join(tmpdir(), 'zk-lab-up-test-'));
    // The ensemble alone: lab-apps.test.ts runs the whole system.
    const child = spawn(process.execPath, [MAIN, 'up', '--no-apps', '--state', state], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await new Promise<void>((resolveUp, reject) => {
        createInterface({ input: child.stderr }).on('line', (line) => {
          if (line.includes('the lab is up')) resolveUp();
        });
        child.once('exit', (code) => reject(new Error(`lab up exited early (${code}): ${stdout}`)));
      });
      expect(stdout).toContain('1 leader, 2 followers');
      // Another terminal restarts a server: the foreground lab still stops it on Ctrl+C.
      expect(lab(['zk', 'kill', '1'], state).code).toBe(0);
      expect(lab(['zk', 'start', '1'], state).code).toBe(0);
      const pids = status(state).nodes.map((r) => r.pid!);
      expect(pids.filter(pidAlive)).toHaveLength(3);

      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolveExit) =>
        child.once('exit', resolveExit),
      );
      expect(code).toBe(0);
      expect(pids.filter(pidAlive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

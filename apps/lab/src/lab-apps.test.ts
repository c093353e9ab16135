import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { belongsTo, eventually, lab, LabUp, MAIN, pidAlive } from './__tests__/lab-processes';

// `lab up` runs its own ensemble (one server here) and the apps as real processes, as a
// user's `npm run lab` does; the apps must be built (npm test builds first).

interface AppRow {
  name: string;
  kind: string;
  pid: number | null;
  state: string;
  status: { state?: string; registered?: boolean } | null;
}

interface LabStatusJson {
  nodes: { pid: number | null }[];
  apps: AppRow[];
  counts: { workers: string[]; results: number } | null;
}

async function labStatus(state: string): Promise<LabStatusJson> {
  const { code, stdout, stderr } = await lab(['status', '--json'], state);
  if (code !== 0) throw new Error(`lab status failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as LabStatusJson;
}

/** Every pid of the lab's apps and servers that `lab status` shows. */
function pidsOf(status: LabStatusJson): number[] {
  return [...status.apps.map((a) => a.pid), ...status.nodes.map((n) => n.pid)].filter(
    (pid): pid is number => pid !== null,
  );
}

const masterRoles = (status: LabStatusJson) =>
  status.apps
    .filter((a) => a.kind === 'master')
    .map((a) => a.status?.state ?? a.state)
    .sort();

beforeAll(() => {
  for (const app of ['lab', 'master', 'worker', 'producer']) {
    const main = join(__dirname, '..', '..', app, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  }
  expect(existsSync(MAIN)).toBe(true);
});

describe('lab up: ensemble, masters, workers and a producer in the foreground', () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-apps-test-'));
  const seen = new Set<number>();
  let up: LabUp;

  beforeAll(async () => {
    up = new LabUp(['--size', '1', '--masters', '2', '--workers', '2', '--rate', '5'], state);
    await up.waitUntilUp();
  }, 90_000);

  afterAll(() => {
    // Whatever the tests did: nothing of this lab may outlive this file.
    up.kill('SIGKILL');
    for (const pid of seen) if (belongsTo(pid, state)) process.kill(pid, 'SIGKILL');
  });

  const remember = (status: LabStatusJson) => pidsOf(status).forEach((pid) => seen.add(pid));

  it('the digest shows one master elected and both workers joining', async () => {
    const elected = await up.waitForLine(/ m[12] +elected leader \(master m[12]\)/, 30_000);
    await up.waitForLine(/ w1 +registered/, 30_000);
    await up.waitForLine(/ w2 +registered/, 30_000);
    await up.waitForLine(/ m[12] +worker w1 joined/, 30_000);
    await up.waitForLine(/ m[12] +worker w2 joined/, 30_000);
    expect(up.lines.filter((line) => / elected leader /.test(line))).toEqual([elected]);
  }, 60_000);

  it('lab status --json in another process: one leader, one follower, two registered workers, results growing', async () => {
    let status = await labStatus(state);
    remember(status);
    await eventually(
      'a leader, a follower and two registered workers in lab status',
      async () => {
        status = await labStatus(state);
        const workers = status.apps.filter((a) => a.kind === 'worker');
        return (
          masterRoles(status).join() === 'follower,leader' &&
          workers.length === 2 &&
          workers.every((w) => w.status?.registered === true)
        );
      },
      20_000,
    );
    expect(status.counts?.workers).toEqual(['w1', 'w2']);
    const first = status.counts?.results ?? 0;
    await eventually(
      'more results',
      async () => ((await labStatus(state)).counts?.results ?? 0) > first,
      20_000,
    );
  }, 60_000);

  it('lab up again from the same folder refuses while this one runs', async () => {
    const again = await lab(['up', '--size', '1'], state);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the lab is already running from/);
  }, 30_000);

  it('lab kill of the leader: the digest shows the other master elected', async () => {
    const status = await labStatus(state);
    remember(status);
    const leader = status.apps.find((a) => a.status?.state === 'leader');
    const follower = status.apps.find((a) => a.status?.state === 'follower');
    if (leader === undefined || follower === undefined) throw new Error('no leader and follower');
    const from = up.lines.length;

    const killed = await lab(['kill', leader.name], state);
    expect(killed.code).toBe(0);
    expect(killed.stdout).toContain(`${leader.name} (pid ${leader.pid}) killed with SIGKILL`);
    expect(pidAlive(leader.pid!)).toBe(false);

    await up.waitForLine(new RegExp(` ${leader.name} +exited \\(signal SIGKILL\\)`), 10_000, from);
    // The session of the killed leader expires (4 s): then the follower leads.
    await up.waitForLine(
      new RegExp(` ${follower.name} +elected leader \\(master ${follower.name}\\)`),
      20_000,
      from,
    );
  }, 60_000);

  it('lab start brings the killed master back, as a follower, and lab up follows it', async () => {
    const down = (await labStatus(state)).apps.find(
      (a) => a.kind === 'master' && a.state === 'down',
    );
    if (down === undefined) throw new Error('no master is down');
    const from = up.lines.length;
    const started = await lab(['start', down.name], state);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(new RegExp(`^${down.name} started \\(pid \\d+.*\\): follower`));
    await up.waitForLine(
      new RegExp(` ${down.name} +started again \\(pid \\d+, by lab start\\)`),
      10_000,
      from,
    );
    const status = await labStatus(state);
    remember(status);
    expect(masterRoles(status)).toEqual(['follower', 'leader']);
  }, 60_000);

  it('lab pause / lab resume freeze and thaw a worker, and the digest says so', async () => {
    const from = up.lines.length;
    const paused = await lab(['pause', 'w1'], state);
    expect(paused.code).toBe(0);
    expect((await labStatus(state)).apps.find((a) => a.name === 'w1')?.state).toBe('paused');
    await up.waitForLine(/ w1 +warn: paused \(SIGSTOP\)/, 10_000, from);
    expect((await lab(['resume', 'w1'], state)).code).toBe(0);
    await up.waitForLine(/ w1 +resumed \(SIGCONT\)/, 10_000, from);
    expect((await labStatus(state)).apps.find((a) => a.name === 'w1')?.state).toBe('up');
  }, 30_000);

  it('lab stop ends the producer cleanly; lab start streams again', async () => {
    const from = up.lines.length;
    const stopped = await lab(['stop', 'producer'], state);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^producer \(pid \d+\) stopped with SIGTERM/);
    await up.waitForLine(
      / producer +exited \(exit code \d+\) after lab stop sent SIGTERM/,
      10_000,
      from,
    );
    const started = await lab(['start', 'producer'], state);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^producer started \(pid \d+\): streaming/);
  }, 30_000);

  it('Ctrl+C stops every app and the ensemble, exits 0 and leaves no process behind', async () => {
    const status = await labStatus(state);
    remember(status);
    const pids = pidsOf(status);
    expect(pids.filter(pidAlive)).toHaveLength(6); // 2 masters, 2 workers, producer, 1 server

    up.kill('SIGINT');
    expect(await up.exited()).toBe(0);
    expect(up.errLines.join('\n')).toMatch(/stopped 5 app\(s\)/);
    expect(up.errLines.join('\n')).toContain('stopped the 1-server ZooKeeper ensemble');
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(existsSync(join(state, 'apps.json'))).toBe(false);
  }, 60_000);
});

describe('lab up SIGKILLed: the watchdog stops its apps', () => {
  it('no app outlives a killed lab up for more than a few seconds', async () => {
    const state = mkdtempSync(join(tmpdir(), 'zk-lab-apps-watchdog-'));
    const up = new LabUp(['--size', '1', '--masters', '1', '--workers', '1', '--rate', '0'], state);
    let pids: number[] = [];
    try {
      await up.waitUntilUp();
      await up.waitForLine(/ w1 +registered/, 30_000);
      pids = pidsOf(await labStatus(state));
      expect(pids.filter(pidAlive)).toHaveLength(3); // m1, w1, the server

      up.kill('SIGKILL');
      await up.exited();
      await eventually('every app and server gone', () => !pids.some(pidAlive), 10_000);
      expect(pids.filter(pidAlive)).toEqual([]);
    } finally {
      up.kill('SIGKILL');
      for (const pid of pids) if (belongsTo(pid, state)) process.kill(pid, 'SIGKILL');
    }
  }, 90_000);
});

describe('lab app commands: usage and errors', () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-apps-usage-'));

  it.each([
    [['up', '--masters', '0'], /--masters: /],
    [['up', '--rate', 'fast'], /--rate: /],
    [['up', '--job-type', 'nope'], /unknown job type "nope"/],
    [['up', '--payload', '{oops'], /--payload is not JSON/],
    [['up', '--job-type', 'sleep', '--payload', '{"ms":-1}'], /payload\.ms/],
    [['kill'], /`kill` needs an app name/],
    [['start', 'm1', 'm2'], /unexpected argument\(s\): m2/],
  ])('lab %j is bad usage: exit 2 with a clear error', async (args, message) => {
    const { code, stderr } = await lab(args, state);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage:');
  });

  it.each([['kill'], ['stop'], ['start'], ['pause'], ['resume']])(
    'lab %s NAME without a running lab fails (exit 1) and says how to bring it up',
    async (command) => {
      const { code, stderr } = await lab([command, 'm1'], state);
      expect(code).toBe(1);
      expect(stderr).toMatch(/no lab apps in .*: bring the lab up with `lab up`/);
    },
  );

  it('help lists the app commands and the flags of up', async () => {
    const { code, stdout } = await lab(['help'], state);
    expect(code).toBe(0);
    for (const text of [
      'lab status',
      'lab kill NAME',
      'lab stop NAME',
      'lab start NAME',
      'lab pause NAME',
      '--masters N',
      '--workers N',
      '--rate R',
      '--no-apps',
    ]) {
      expect(stdout).toContain(text);
    }
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { belongsTo, eventually, lab, LabUp } from './__tests__/lab-processes';

// `lab partition` of the leading master, through the lab's own fault proxy: the master keeps
// running and serving HTTP, but no byte reaches ZooKeeper or comes back from it.

const SESSION_TIMEOUT_MS = 2_000;

interface AppRow {
  name: string;
  kind: string;
  pid: number | null;
  port: number | null;
  logPath: string;
  status: { state?: string; leaderId?: string | null } | null;
}

interface StatusJson {
  apps: AppRow[];
  faults: string[];
}

interface LogLine {
  time: number;
  msg: string;
}

async function statusJson(state: string): Promise<StatusJson> {
  const { code, stdout, stderr } = await lab(['status', '--json'], state);
  if (code !== 0) throw new Error(`lab status failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as StatusJson;
}

async function appStatus(port: number): Promise<{ state: string; leaderId: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/status`);
  return (await response.json()) as { state: string; leaderId: string | null };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

function logLines(path: string): LogLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

describe('lab partition of the leading master', () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-partition-test-'));
  let up: LabUp;
  const pids: number[] = [];

  beforeAll(async () => {
    up = new LabUp(
      [
        '--size',
        '1',
        '--masters',
        '2',
        '--workers',
        '1',
        '--rate',
        '5',
        '--session-timeout',
        String(SESSION_TIMEOUT_MS),
      ],
      state,
    );
    await up.waitUntilUp();
    await up.waitForLine(/ m[12] +elected leader/, 30_000);
  }, 90_000);

  afterAll(async () => {
    up.kill('SIGINT');
    await up.exited();
    for (const pid of pids) if (belongsTo(pid, state)) process.kill(pid, 'SIGKILL');
  }, 30_000);

  it('another master leads within the session timeout + 1 s; the cut-off one stopped first, wrote nothing after, and follows after lab heal', async () => {
    let before = await statusJson(state);
    await eventually(
      'a leader and a follower',
      async () => {
        before = await statusJson(state);
        const roles = before.apps.map((a) => a.status?.state).filter((s) => s !== undefined);
        return roles.includes('leader') && roles.includes('follower');
      },
      20_000,
    );
    pids.push(...before.apps.map((a) => a.pid).filter((p): p is number => p !== null));
    const leader = before.apps.find((a) => a.status?.state === 'leader')!;
    const follower = before.apps.find((a) => a.status?.state === 'follower')!;
    expect(before.faults).toEqual([]);

    const cut = await lab(['partition', leader.name], state);
    expect(cut.code).toBe(0);
    expect(cut.stdout).toContain(`${leader.name} is cut from ZooKeeper`);
    const cutAt = Date.now();

    // Measured from the command's return: the partition was in force before that.
    await eventually(
      `${follower.name} leads`,
      async () => (await appStatus(follower.port!)).state === 'leader',
      SESSION_TIMEOUT_MS + 1_000,
    );
    expect(Date.now() - cutAt).toBeLessThan(SESSION_TIMEOUT_MS + 1_000);

    const during = await lab(['status'], state);
    expect(during.stdout).toContain(
      `network faults: ${leader.name} ↔ ZooKeeper partitioned (\`lab heal\` mends them)`,
    );
    expect((await statusJson(state)).faults).toEqual([`${leader.name} ↔ ZooKeeper partitioned`]);

    // The cut-off master still answers HTTP: it knows it does not lead.
    expect(await metric(leader.port!, 'zklab_master_is_leader')).toBe(0);
    expect((await appStatus(leader.port!)).state).not.toBe('leader');
    const revoked = logLines(leader.logPath).find((l) =>
      /leadership revoked \(SUSPENDED\); scheduling stopped/.test(l.msg),
    );
    const elected = logLines(follower.logPath).find((l) => /^elected leader/.test(l.msg));
    expect(revoked).toBeDefined();
    expect(elected).toBeDefined();
    // It stopped before the other one could lead: no moment with two schedulers.
    expect(revoked!.time).toBeLessThan(elected!.time);
    const assigned = await metric(leader.port!, 'zklab_jobs_assigned_total');

    const healed = await lab(['heal', leader.name], state);
    expect(healed.code).toBe(0);
    expect(healed.stdout).toContain(`${leader.name}'s links healed`);
    await eventually(
      `${leader.name} follows ${follower.name}`,
      async () => {
        const now = await appStatus(leader.port!);
        return now.state === 'follower' && now.leaderId === follower.name;
      },
      10_000,
    );
    // Its old session is gone (the first fence): it came back with a new one, as a follower,
    // and assigned nothing since it was cut off.
    expect(logLines(leader.logPath).some((l) => /session LOST/.test(l.msg))).toBe(true);
    expect(await metric(leader.port!, 'zklab_jobs_assigned_total')).toBe(assigned);
    expect((await statusJson(state)).faults).toEqual([]);
    expect((await lab(['status'], state)).stdout).toContain('network: every link passes');
  }, 60_000);
});

import { usePrivateEnsemble, useTerminals, waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import {
  leaderBySrvr,
  monitor,
  modesBySrvr,
  monitorJson,
  receivedBySrvr,
  WatchingMonitor,
} from './__tests__/monitor-process';
import { MAIN } from '../__tests__/lab-processes';

// A 3-server ensemble of this file's own, which the lab did not start: the monitor is given
// its servers by --connect alone, and finds no lab state (an empty ZK_LAB_STATE).
describe('lab monitor on an ensemble the lab did not start', () => {
  const zk = usePrivateEnsemble();
  const terminals = useTerminals();

  it('without --connect, ZK_CONNECT or a lab ensemble, it says so in one line (exit 3)', async () => {
    const run = await monitor([]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('no ZooKeeper to connect to');
  });

  it('--prometheus prints the text format: HELP and TYPE lines, one sample per server', async () => {
    const run = await monitor(['--connect', zk.connectString, '--prometheus']);
    expect(run.code).toBe(0);
    const samples = new Map<string, string[]>();
    const typed = new Set<string>();
    for (const line of run.stdout.trimEnd().split('\n')) {
      const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S/.exec(line);
      const type =
        /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|histogram|summary|untyped)$/.exec(line);
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{server="([^"]+)"\})? (-?[0-9.e+]+|NaN)$/.exec(
        line,
      );
      if (type) typed.add(type[1]!);
      else if (sample)
        samples.set(sample[1]!, [...(samples.get(sample[1]!) ?? []), sample[3] ?? '']);
      else if (!help && line !== '')
        throw new Error(`not the text format: ${JSON.stringify(line)}`);
    }
    const servers = zk.ensemble.nodes.map((n) => `127.0.0.1:${n.clientPort}`).sort();
    for (const name of [
      'zk_monitor_up',
      'zk_monitor_znodes',
      'zk_monitor_zxid_epoch',
      'zk_monitor_open_file_descriptors',
    ]) {
      expect(typed.has(name)).toBe(true);
      expect(samples.get(name)!.sort()).toEqual(servers);
    }
    expect(samples.get('zk_monitor_status')).toEqual(['']);
  });

  it('--watch --json: writes between two readings give a positive write rate, and no counter is reset', async () => {
    const client = await ZkClient.connect({ connectString: zk.connectString });
    const receivedBefore = await receivedBySrvr(zk.ensemble);
    const watching = new WatchingMonitor(['--connect', zk.connectString, '--watch', '1', '--json']);
    try {
      await waitFor('the first reading', () => watching.docs.length >= 1);
      expect(watching.docs[0]!.writesPerSecond).toBeNull(); // no rate from one reading
      for (let i = 0; i < 20; i += 1) await client.create(`/monitor-rate-${i}`, 'x');
      const seen = watching.docs.length;
      await waitFor('a reading after the writes', () => watching.docs.length > seen);
      const rated = watching.docs.slice(1);
      expect(rated.every((d) => d.writesPerSecond !== null)).toBe(true);
      expect(Math.max(...rated.map((d) => d.writesPerSecond!))).toBeGreaterThan(0);
      expect(
        rated.at(-1)!.servers.every((s) => s.rates !== null && s.rates.receivedPerSecond! > 0),
      ).toBe(true);
    } finally {
      watching.child.kill('SIGINT'); // Ctrl+C: the last reading's exit code
      await client.close();
    }
    expect(await watching.exit).toBe(0);
    const receivedAfter = await receivedBySrvr(zk.ensemble);
    receivedAfter.forEach((after, i) => expect(after).toBeGreaterThan(receivedBefore[i]!));
  });

  it('--watch in a terminal redraws in place (one table on the screen); Ctrl+C ends it with the last status', async () => {
    const term = await terminals.open(
      [process.execPath, MAIN, 'monitor', '--connect', zk.connectString, '--watch', '1'],
      { cols: 200, rows: 20, env: { ZK_LAB_STATE: '/nonexistent' } },
    );
    const times = new Set<string>();
    const header = /^(\d\d:\d\d:\d\d) OK · leader /gm;
    const screen = await term.waitForScreen((text) => {
      for (const match of text.matchAll(header)) times.add(match[1]!);
      return times.size >= 3;
    });
    expect(screen.match(header)).toHaveLength(1); // the same rows, overwritten
    expect(screen.split('\n')[0]).toMatch(header);
    expect(screen).toMatch(/writes\/s/);
    await term.press('C-c');
    expect(await term.waitForExit()).toBe(0);
  });

  it('a paused server (SIGSTOP) shows as not answering within the timeout; a warning', async () => {
    const leader = await leaderBySrvr(zk.ensemble);
    const paused = zk.ensemble.nodes.find((n) => `127.0.0.1:${n.clientPort}` !== leader)!;
    zk.ensemble.pauseNode(paused.id);
    try {
      const started = Date.now();
      const { code, doc } = await monitorJson(['--connect', zk.connectString, '--timeout', '1000']);
      expect(Date.now() - started).toBeLessThan(10_000); // one timeout, not a hang
      expect(code).toBe(1);
      expect(doc.status).toBe('warning');
      const row = doc.servers.find((s) => s.port === paused.clientPort)!;
      expect(row.state).toBe('not-answering');
      expect(row.error).toContain('no answer within 1000 ms');
      expect(doc.leader).toBe(leader);
    } finally {
      zk.ensemble.resumeNode(paused.id);
    }
  });

  it('names the leader before and after the leader is killed; the old one down, exit warning', async () => {
    await zk.ensemble.waitForAll();
    const before = await monitorJson(['--connect', zk.connectString]);
    const leader = await leaderBySrvr(zk.ensemble);
    expect(leader).not.toBeNull();
    expect(before.doc.leader).toBe(leader);
    expect(before.code).toBe(0);
    expect(before.doc.status).toBe('ok');

    const killed = zk.ensemble.nodes.find((n) => `127.0.0.1:${n.clientPort}` === leader)!;
    await zk.ensemble.killNode(killed.id, 'SIGKILL');
    let newLeader: string | null = null;
    await waitFor('a new leader, by srvr', async () => {
      newLeader = await leaderBySrvr(zk.ensemble);
      return newLeader !== null;
    });
    // The other follower joins the new leader a moment later: until then it is out of quorum.
    await waitFor('the two remaining servers serving, by srvr', async () => {
      const modes = await modesBySrvr(zk.ensemble);
      return modes.filter((m) => m === 'leader' || m === 'follower').length === 2;
    });

    const after = await monitorJson(['--connect', zk.connectString]);
    expect(after.doc.leader).toBe(newLeader);
    expect(after.doc.leader).not.toBe(leader);
    expect(after.doc.servers.find((s) => s.server === leader)).toMatchObject({ state: 'down' });
    expect(after.doc.status).toBe('warning');
    expect(after.code).toBe(1);
    expect(after.doc.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(new RegExp(`^${leader}: down \\(connect ECONNREFUSED`)),
    ]);
  });

  it('with two of three servers killed, the last is out of quorum: no leader, critical (exit 2)', async () => {
    const running = zk.ensemble.nodes.filter((n) => zk.ensemble.isRunning(n.id));
    await zk.ensemble.killNode(running[0]!.id, 'SIGKILL');
    const last = running[1]!;
    await waitFor('the last server out of quorum, by srvr', async () => {
      const modes = await modesBySrvr(zk.ensemble);
      return modes[zk.ensemble.nodes.findIndex((n) => n.id === last.id)] === null;
    });
    const { code, doc } = await monitorJson(['--connect', zk.connectString]);
    expect(code).toBe(2);
    expect(doc.status).toBe('critical');
    expect(doc.leader).toBeNull();
    expect(doc.servers.find((s) => s.port === last.clientPort)).toMatchObject({
      state: 'up',
      serving: false,
      mode: null,
    });
    const table = await monitor(['--connect', zk.connectString]);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${last.clientPort}\\s+out of quorum`, 'm'),
    );
    expect(table.stdout).toContain('CRITICAL · NO LEADER');
  });
});

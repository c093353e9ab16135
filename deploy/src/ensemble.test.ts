import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ensemble, EnsembleRunningError, ServerStateError } from './ensemble';
import { fourLetterWord, parseMntr } from './four-letter-words';
import { isOurProcess } from './processes';

// A destructive file: every ensemble here is its own, and stopped in afterAll.
const started: Ensemble[] = [];
afterAll(async () => {
  await Promise.all(started.map((e) => e.stop()));
});

async function startEnsemble(size: number): Promise<Ensemble> {
  const ensemble = await Ensemble.start({
    stateDir: mkdtempSync(join(tmpdir(), 'zk-lab-deploy-test-')),
    size,
    tickTimeMs: 200,
    heapMb: 128,
  });
  started.push(ensemble);
  return ensemble;
}

function modes(rows: Awaited<ReturnType<Ensemble['status']>>): string[] {
  return rows.map((r) => (r.state === 'up' ? (r.report?.mode ?? 'not serving') : r.state));
}

describe('a 3-server ensemble', () => {
  let ensemble: Ensemble;
  beforeAll(async () => {
    ensemble = await startEnsemble(3);
  });

  it('serves with one leader and two followers on three distinct ports', async () => {
    const rows = await ensemble.status();
    expect(modes(rows).sort()).toEqual(['follower', 'follower', 'leader']);
    expect(new Set(ensemble.nodes.map((n) => n.clientPort)).size).toBe(3);
    expect(ensemble.connectString()).toMatch(
      /^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/,
    );
  });

  it('answers ruok and mntr (all four-letter words are allowed)', async () => {
    const { clientPort } = ensemble.nodes[0]!;
    expect(await fourLetterWord('127.0.0.1', clientPort, 'ruok')).toBe('imok');
    const mntr = parseMntr(await fourLetterWord('127.0.0.1', clientPort, 'mntr'));
    expect(['leader', 'follower']).toContain(mntr.get('zk_server_state'));
  });

  it('keeps a quorum when a follower is killed, and takes it back when restarted', async () => {
    const leader = await ensemble.leaderId();
    const follower = ensemble.nodes.find((n) => n.id !== leader)!.id;
    await ensemble.killNode(follower);
    expect((await ensemble.status()).find((r) => r.id === follower)?.state).toBe('down');
    expect(await ensemble.waitForQuorum(10_000)).toBe(leader);

    await ensemble.startNode(follower);
    const row = (await ensemble.status()).find((r) => r.id === follower);
    expect(row?.state === 'up' && row.report?.mode).toBe('follower');
  });

  it('elects a new leader when the leader is killed', async () => {
    const leader = (await ensemble.leaderId())!;
    await ensemble.killNode(leader);
    const next = await ensemble.waitForQuorum(10_000);
    expect(next).not.toBe(leader);
    await ensemble.startNode(leader);
    expect(modes(await ensemble.status()).sort()).toEqual(['follower', 'follower', 'leader']);
  });

  it('a paused server answers nothing until resumed', async () => {
    const node = ensemble.nodes[0]!;
    ensemble.pauseNode(node.id);
    try {
      expect((await ensemble.status())[0]?.state).toBe('paused');
      await expect(fourLetterWord('127.0.0.1', node.clientPort, 'ruok', 300)).rejects.toThrow(
        /no answer/,
      );
    } finally {
      ensemble.resumeNode(node.id);
    }
    expect(await fourLetterWord('127.0.0.1', node.clientPort, 'ruok', 2000)).toBe('imok');
  });

  it('is seen by another handle opened from its state folder (as the CLI does)', async () => {
    const other = Ensemble.open(ensemble.stateDir);
    expect(other.connectString()).toBe(ensemble.connectString());
    const victim = ensemble.nodes[2]!.id;
    await other.killNode(victim);
    expect(ensemble.isRunning(victim)).toBe(false);
    await expect(other.killNode(victim)).rejects.toBeInstanceOf(ServerStateError);
    await other.startNode(victim);
    expect(ensemble.isRunning(victim)).toBe(true);
  });

  it('restoreAll starts a killed server and resumes a paused one', async () => {
    await ensemble.killNode(1);
    ensemble.pauseNode(2);
    await ensemble.restoreAll();
    expect(modes(await ensemble.status()).sort()).toEqual(['follower', 'follower', 'leader']);
  });

  it('refuses to create a second ensemble in a folder whose servers run', async () => {
    await expect(Ensemble.create({ stateDir: ensemble.stateDir, size: 1 })).rejects.toBeInstanceOf(
      EnsembleRunningError,
    );
  });
});

describe('ensemble lifecycle', () => {
  it('runs one server standalone', async () => {
    const ensemble = await startEnsemble(1);
    expect(modes(await ensemble.status())).toEqual(['standalone']);
    expect(await ensemble.leaderId()).toBe(1);
  });

  it('rejects an even number of servers', async () => {
    await expect(Ensemble.create({ stateDir: join(tmpdir(), 'never'), size: 2 })).rejects.toThrow(
      /odd/,
    );
  });

  it('rejects a four-letter-word whitelist without srvr (its own status reads srvr)', async () => {
    await expect(
      Ensemble.create({ stateDir: join(tmpdir(), 'never'), fourLetterWords: ['mntr'] }),
    ).rejects.toThrow(/must allow srvr/);
  });

  it('stop() ends every server process and deletes the state folder', async () => {
    const ensemble = await startEnsemble(3);
    const pids = ensemble.nodes.map((n) => [n.pid!, n.configPath] as const);
    await ensemble.stop();
    expect(pids.filter(([pid, cfg]) => isOurProcess(pid, cfg))).toEqual([]);
    expect(existsSync(ensemble.stateDir)).toBe(false);
  });
});

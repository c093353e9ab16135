import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ensemble, serverLinkName } from './ensemble';

// A destructive file: its own ensemble behind fault proxies, stopped in afterAll.
let ensemble: Ensemble | undefined;
afterAll(async () => {
  await ensemble?.stop();
});

function modes(rows: Awaited<ReturnType<Ensemble['status']>>): Map<number, string> {
  return new Map(
    rows.map((r) => [r.id, r.state === 'up' ? (r.report?.mode ?? 'not serving') : r.state]),
  );
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) {
      const shown: unknown =
        value instanceof Map ? Object.fromEntries(value as Map<unknown, unknown>) : value;
      throw new Error(`${what}: still ${JSON.stringify(shown)}`);
    }
    await sleep(100);
  }
}

describe('an ensemble behind fault proxies', () => {
  it('forms a quorum; an isolated leader stops serving, the others elect a new one; heal brings all back', async () => {
    ensemble = await Ensemble.start({
      stateDir: mkdtempSync(join(tmpdir(), 'zk-lab-ensemble-proxy-test-')),
      size: 3,
      tickTimeMs: 200,
      heapMb: 128,
      faultProxy: true,
    });
    const e = ensemble;
    const control = e.proxyControl()!;
    expect(control).not.toBeNull();
    // Server 1 reaches server 2 through the link zk1-zk2, not at server 2's own ports.
    const link = (await control.links()).find((l) => l.name === serverLinkName(1, 2, 'quorum'))!;
    expect(link.targetPort).toBe(e.node(2).quorumPort);
    expect(readFileSync(e.node(1).configPath, 'utf8')).toContain(
      `server.2=127.0.0.1:${link.listenPort}:`,
    );
    const leader = await e.waitForQuorum(30_000);

    await e.isolateServer(leader);
    const during = await until(
      'a new leader among the other two, the isolated one not serving',
      async () => modes(await e.status()),
      (m) =>
        m.get(leader) === 'not serving' &&
        [...m].filter(([id, mode]) => id !== leader && mode === 'leader').length === 1 &&
        [...m].filter(([id, mode]) => id !== leader && mode === 'follower').length === 1,
    );
    expect(during.get(leader)).toBe('not serving');

    await e.healServers();
    await until(
      'all three serving again',
      async () => modes(await e.status()),
      (m) => [...m.values()].sort().join() === 'follower,follower,leader',
    );
  });
});

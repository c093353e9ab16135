/**
 * The proxy daemon is about processes, so it runs as one here (the built entry: npm test
 * builds first), controlled through FaultProxyControl as the lab does. The links lead to
 * the run's shared ZooKeeper ensemble, under a root of this file's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionLossError, ZkClient } from '@zk-lab/zk-client';
import { FaultProxyControl, isDaemon, spawnFaultProxyDaemon } from './control';
import { LinkExistsError, UnknownLinkError } from './errors';
import { CREATE_OP_TYPES } from './modes';

const DIST = resolve(__dirname, '..', '..', 'dist', 'index.js');
const SHARED = process.env['ZK_LAB_TEST_CONNECT'] ?? '';

function sharedPort(): number {
  const first = SHARED.split(',')[0] ?? '';
  return Number(first.slice(first.lastIndexOf(':') + 1));
}

describe('the fault proxy daemon', () => {
  it('is controlled from another process: links, modes, dropNextReply, typed errors, stop', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'zk-lab-proxyd-test-')), 'proxy.json');
    const started = await spawnFaultProxyDaemon({ stateFile, ownerPid: process.pid });
    const clients: ZkClient[] = [];
    try {
      const control = FaultProxyControl.open(stateFile); // as another process would
      expect(control.pid).toBe(started.pid);
      expect(control.pid).not.toBe(process.pid);
      const { listenPort } = await control.addLink('app-zk1', { targetPort: sharedPort() });
      await expect(control.addLink('app-zk1', { targetPort: sharedPort() })).rejects.toBeInstanceOf(
        LinkExistsError,
      );
      await expect(control.setMode('nope', { kind: 'partition' })).rejects.toBeInstanceOf(
        UnknownLinkError,
      );

      const client = await ZkClient.connect({
        connectString: `127.0.0.1:${listenPort}`,
        sessionTimeoutMs: 4_000,
      });
      clients.push(client);
      const path = `/proxyd-${process.pid}-${Date.now()}`;
      const armed = await control.dropNextReply('app-zk1', { opTypes: CREATE_OP_TYPES });
      expect((await control.link('app-zk1')).dropArmed).toBe(true);
      await expect(client.create(path, 'x')).rejects.toBeInstanceOf(ConnectionLossError);
      expect(CREATE_OP_TYPES).toContain((await armed.fired()).opType);
      expect(await client.exists(path)).not.toBeNull(); // it reconnected; the server applied it

      await control.setMode('app-zk1', { kind: 'delay', ms: 50 });
      expect((await control.links()).map((l) => [l.name, l.mode])).toEqual([
        ['app-zk1', { kind: 'delay', ms: 50 }],
      ]);
      await control.heal();
      expect((await control.link('app-zk1')).mode).toEqual({ kind: 'pass' });
      await client.delete(path);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await started.stop();
    }
    expect(isDaemon(started.pid, started.stateFile)).toBe(false);
  });

  it('exits when its owner process dies', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'zk-lab-proxyd-test-')), 'proxy.json');
    const owner = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(DIST)}).spawnFaultProxyDaemon({ stateFile: process.argv[1], ownerPid: process.pid })
          .then((c) => { console.log(c.pid); setInterval(() => undefined, 1000); },
                (e) => { console.error(e); process.exit(1); });`,
        stateFile,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let daemonPid = 0;
    try {
      daemonPid = Number(
        await new Promise<string>((resolveLine, reject) => {
          createInterface({ input: owner.stdout }).once('line', resolveLine);
          owner.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
        }),
      );
      expect(isDaemon(daemonPid, stateFile)).toBe(true);
      owner.kill('SIGKILL');
      const deadline = Date.now() + 5_000;
      while (isDaemon(daemonPid, stateFile) && Date.now() < deadline) await sleep(50);
      expect(isDaemon(daemonPid, stateFile)).toBe(false);
    } finally {
      owner.kill('SIGKILL');
      if (daemonPid > 0 && isDaemon(daemonPid, stateFile)) process.kill(daemonPid, 'SIGKILL');
    }
  });
});

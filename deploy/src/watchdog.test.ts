import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { isOurProcess } from './processes';

// The watchdog is about processes, so the owner here is a real separate process: it runs
// the built runner (npm test builds first), starts an ensemble and is then SIGKILLed.
const DIST = resolve(__dirname, '..', 'dist', 'index.js');

const OWNER = `
const { Ensemble } = require(${JSON.stringify(DIST)});
Ensemble.start({ stateDir: process.argv[1], size: 3, tickTimeMs: 200, heapMb: 128 }).then((e) => {
  console.log(JSON.stringify(e.nodes.map((n) => [n.pid, n.configPath])));
  setInterval(() => undefined, 1000);
}, (err) => { console.error(err); process.exit(1); });
`;

describe('the watchdog of a non-detached ensemble', () => {
  it('kills every server when the owning process is SIGKILLed', async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
    const stateDir = mkdtempSync(join(tmpdir(), 'zk-lab-watchdog-test-'));
    const owner = spawn(process.execPath, ['-e', OWNER, stateDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let servers: [number, string][] = [];
    try {
      const line = await new Promise<string>((resolveLine, reject) => {
        createInterface({ input: owner.stdout }).once('line', resolveLine);
        owner.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
      });
      servers = JSON.parse(line) as [number, string][];
      expect(servers.filter(([pid, cfg]) => isOurProcess(pid, cfg))).toHaveLength(3);

      owner.kill('SIGKILL');
      // The reaper kills the servers first and removes the state folder after: wait for both,
      // or the check of the folder races the reaper's rmSync.
      const deadline = Date.now() + 10_000;
      const cleaned = () =>
        !servers.some(([pid, cfg]) => isOurProcess(pid, cfg)) && !existsSync(stateDir);
      while (!cleaned() && Date.now() < deadline) await sleep(100);
      expect(servers.filter(([pid, cfg]) => isOurProcess(pid, cfg))).toEqual([]);
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      owner.kill('SIGKILL');
      for (const [pid, cfg] of servers) if (isOurProcess(pid, cfg)) process.kill(pid, 'SIGKILL');
    }
  });
});

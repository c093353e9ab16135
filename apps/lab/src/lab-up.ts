import { Ensemble, type NodeStatus } from '@zk-lab/deploy';
import type { Output } from './output';
import { ensembleDir, printStatus, type EnsembleFlagValues } from './zk-commands';

function describe(row: NodeStatus): string {
  if (row.state !== 'up') return row.state;
  return row.report ? row.report.mode : 'not serving';
}

/**
 * `lab up` (`npm run lab`): brings up the ensemble in the foreground, prints its status,
 * reports every change of a server's role, and on Ctrl+C (or SIGTERM) stops it cleanly.
 * Later issues add the masters, workers and producer here.
 */
export async function labUp(
  labState: string,
  flags: EnsembleFlagValues,
  io: Output,
): Promise<void> {
  const started = Date.now();
  io.err(`starting a ${flags.size}-server ZooKeeper ensemble (tickTime ${flags.tick} ms)…`);
  const ensemble = await Ensemble.start({
    stateDir: ensembleDir(labState),
    size: flags.size,
    tickTimeMs: flags.tick,
    heapMb: flags.heap,
    log: (line) => io.err(line),
  });
  io.err(`serving after ${Date.now() - started} ms`);
  await printStatus(ensemble, io);
  io.err('the lab is up: press Ctrl+C to stop it. In another terminal, try');
  io.err('  npm run lab:cli -- zk status   |   zk kill N   |   zk start N   |   zk pause N');

  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  let last = new Map((await ensemble.status()).map((r) => [r.id, describe(r)]));
  const watcher = setInterval(() => {
    void ensemble.status().then((rows) => {
      // Another `lab zk` command may have restarted a server: re-read its pid first.
      const now = new Map(rows.map((r) => [r.id, describe(r)]));
      for (const [id, what] of now) {
        if (last.get(id) !== what)
          io.out(`${new Date().toISOString()} server ${id}: ${last.get(id)} → ${what}`);
      }
      last = now;
    });
  }, 1000);
  const signal = await stopped;
  clearInterval(watcher);
  io.err(`${signal}: stopping the ensemble…`);
  await ensemble.stop();
  io.err('stopped.');
}

import { join } from 'node:path';
import { Ensemble, NoEnsembleError } from '@zk-lab/deploy';
import { formatStatusTable, summarise } from './status-table';
import type { Output } from './output';

export interface EnsembleFlagValues {
  size: number;
  tick: number;
  heap: number;
}

/** The ensemble's own folder inside the lab's state folder. */
export function ensembleDir(labState: string): string {
  return join(labState, 'zk');
}

export function openEnsemble(labState: string): Ensemble {
  try {
    return Ensemble.open(ensembleDir(labState));
  } catch (err) {
    if (err instanceof NoEnsembleError) {
      throw new NoEnsembleError(`no lab ensemble in ${labState}: start one with \`lab zk up\``);
    }
    throw err;
  }
}

/** Prints the status table and its one-line summary. */
export async function printStatus(ensemble: Ensemble, io: Output): Promise<void> {
  const rows = await ensemble.status();
  io.out(`connect string: ${ensemble.connectString()}`);
  io.out(formatStatusTable(rows));
  io.out(summarise(rows));
}

/** `lab zk up`: starts an ensemble that keeps running after the command returns. */
export async function zkUp(labState: string, flags: EnsembleFlagValues, io: Output): Promise<void> {
  const started = Date.now();
  io.err(`starting ${flags.size} ZooKeeper server(s) (tickTime ${flags.tick} ms)…`);
  const ensemble = await Ensemble.start({
    stateDir: ensembleDir(labState),
    size: flags.size,
    tickTimeMs: flags.tick,
    heapMb: flags.heap,
    detached: true,
    log: (line) => io.err(line),
  });
  io.err(`serving after ${Date.now() - started} ms; stop it with \`lab zk down\``);
  await printStatus(ensemble, io);
}

/** `lab zk down`: stops every server and removes the ensemble's folder. */
export async function zkDown(labState: string, io: Output): Promise<void> {
  const ensemble = openEnsemble(labState);
  await ensemble.stop();
  io.out(`stopped ${ensemble.size} server(s)`);
}

/** `lab zk status`: one row per server, from four-letter words. */
export async function zkStatus(labState: string, json: boolean, io: Output): Promise<void> {
  const ensemble = openEnsemble(labState);
  if (json) {
    io.out(
      JSON.stringify(
        { connectString: ensemble.connectString(), nodes: await ensemble.status() },
        null,
        2,
      ),
    );
  } else {
    await printStatus(ensemble, io);
  }
}

/** `lab zk kill N`: kills one server (SIGKILL unless told otherwise). */
export async function zkKill(
  labState: string,
  id: number,
  signal: NodeJS.Signals,
  io: Output,
): Promise<void> {
  const ensemble = openEnsemble(labState);
  const node = ensemble.node(id);
  const pid = node.pid;
  await ensemble.killNode(id, signal);
  io.out(`server ${id} (pid ${pid}) killed with ${signal}`);
  const running = ensemble.nodes.filter((n) => ensemble.isRunning(n.id)).length;
  if (running <= ensemble.size / 2) {
    io.out(
      `no quorum: ${running} of ${ensemble.size} servers run, so the ensemble serves nothing ` +
        'until a majority runs again (lab zk start N)',
    );
    return;
  }
  const since = Date.now();
  const leader = await ensemble.waitForQuorum(15_000);
  io.out(`server ${leader} leads (quorum after ${Date.now() - since} ms)`);
}

/** `lab zk start N`: starts a stopped server again and waits until it serves. */
export async function zkStart(labState: string, id: number, io: Output): Promise<void> {
  const ensemble = openEnsemble(labState);
  await ensemble.startNode(id);
  const row = (await ensemble.status()).find((r) => r.id === id);
  const mode = row?.state === 'up' ? row.report?.mode : undefined;
  io.out(`server ${id} started (pid ${ensemble.node(id).pid}), serving as ${mode ?? 'unknown'}`);
}

/** `lab zk start all`: starts every server that is not running, one after another. */
export async function zkStartAll(labState: string, io: Output): Promise<void> {
  const ensemble = openEnsemble(labState);
  const down = ensemble.nodes.filter((n) => !ensemble.isRunning(n.id));
  if (down.length === 0) {
    io.out('nothing to start: every server runs');
    return;
  }
  for (const node of down) await zkStart(labState, node.id, io);
}

/** `lab zk pause N` / `lab zk resume N`: SIGSTOP / SIGCONT one server. */
export function zkPause(labState: string, id: number, pause: boolean, io: Output): void {
  const ensemble = openEnsemble(labState);
  if (pause) ensemble.pauseNode(id);
  else ensemble.resumeNode(id);
  io.out(`server ${id} ${pause ? 'paused (SIGSTOP)' : 'resumed (SIGCONT)'}`);
}

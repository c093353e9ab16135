/**
 * The master-worker system as the system and pipeline benches run it: a fresh private
 * 3-server ensemble, /config written by the admin, 2 masters and W workers, each the built
 * app as a process of its own, and the probes around a run. The parts are put into `held`
 * as soon as each exists, so that the caller's cleanup stops whatever was started, also
 * when the start fails half-way.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ensemble, fourLetterWord, freePorts, parseSrvr, type SrvrReport } from '@zk-lab/deploy';
import {
  connectToNamespace,
  DEFAULT_CONFIG,
  DEFAULT_MASTER_AUTH,
  DEFAULT_PRODUCER_AUTH,
  DEFAULT_WORKER_AUTH,
  encode,
  loadCredentials,
  namespaceAcls,
  PATHS,
  resolveConnection,
} from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import { output } from './main';
import { AppFleet, type AppProcess } from './system-apps';
import type { WorkerSlot } from './system-worker-kill';
import type { RunProbe } from './system-throughput';
import { leaderTotals, type MasterSlot, TakeoverTrials } from './system-takeover';

export const MASTER_IDS = ['m1', 'm2'] as const;

export interface SystemSetupOptions {
  root: string;
  workers: number;
  capacity: number;
  batch: number;
  sessionMs: number;
  tickMs: number;
  /** Jobs that may wait in the queue at once (queueMaxDepth is at least this). */
  queueDepth: number;
}

/** What the caller stops at the end, filled in as the start goes. */
export interface HeldParts {
  ensemble?: Ensemble;
  admin?: ZkClient;
  fleet?: AppFleet;
}

export interface BenchSystem {
  ensemble: Ensemble;
  admin: ZkClient;
  fleet: AppFleet;
  masters: MasterSlot[];
  workerIds: string[];
  /** The workers: their ids and ports stay, their processes change at every restart. */
  workers: WorkerSlot[];
  /** Starts a worker of the bench (a restart, or one more) with its id and port. */
  startWorker: (slot: Pick<WorkerSlot, 'id' | 'port'>) => AppProcess;
  trials: TakeoverTrials;
  probe: RunProbe;
  /** The leader's `srvr` at the start. */
  srvr: SrvrReport | null;
  /** ZooKeeper servers on this machine that this bench did not start. */
  otherServers: number;
  config: typeof DEFAULT_CONFIG;
}

export async function startBenchSystem(
  options: SystemSetupOptions,
  dirs: { runDir: string; logDir: string; pidFile: string; benchDir: string },
  held: HeldParts,
  say: (line: string) => void,
  checkAborted: () => void,
): Promise<BenchSystem> {
  say(`starting a 3-server ensemble (tickTime ${options.tickMs} ms) in ${dirs.runDir}`);
  const ensemble = await Ensemble.start({
    stateDir: join(dirs.runDir, 'zk'),
    size: 3,
    tickTimeMs: options.tickMs,
    heapMb: 512,
    log: say,
  });
  held.ensemble = ensemble;
  checkAborted();
  const serverPids = new Set(ensemble.nodes.map((n) => n.pid));
  const otherServers = (output('pgrep', ['-f', 'QuorumPeerMain']) ?? '')
    .split('\n')
    .filter((pid) => pid && !serverPids.has(Number(pid))).length;
  const leaderNode = ensemble.node(await ensemble.waitForQuorum());
  const srvr = parseSrvr(await fourLetterWord('127.0.0.1', leaderNode.clientPort, 'srvr'));

  const env = {
    ZK_CONNECT: ensemble.connectString(),
    ZK_ROOT: options.root,
    ZK_SESSION_TIMEOUT_MS: String(options.sessionMs),
    // Said outright, so that the apps do not warn at every start that it is not set.
    ZK_MASTER_AUTH: process.env.ZK_MASTER_AUTH ?? DEFAULT_MASTER_AUTH,
    ZK_WORKER_AUTH: process.env.ZK_WORKER_AUTH ?? DEFAULT_WORKER_AUTH,
    ZK_PRODUCER_AUTH: process.env.ZK_PRODUCER_AUTH ?? DEFAULT_PRODUCER_AUTH,
  };
  const admin = await connectToNamespace(resolveConnection({}, env), loadCredentials('admin'));
  held.admin = admin;
  const config = {
    ...DEFAULT_CONFIG,
    workerCapacity: options.capacity,
    assignBatchSize: options.batch,
    queueMaxDepth: Math.max(DEFAULT_CONFIG.queueMaxDepth, options.queueDepth),
  };
  await admin.create(PATHS.config, encode(config), { acl: namespaceAcls().config });
  say(`/config written: ${JSON.stringify(config)}`);

  const fleet = new AppFleet(join(dirs.benchDir, '..'), env, dirs.logDir, dirs.pidFile);
  held.fleet = fleet;
  startOrphanReaper(dirs.benchDir, dirs.pidFile, fleet.mains());
  const ports = await freePorts(MASTER_IDS.length + options.workers);
  const startMaster = (slot: Pick<MasterSlot, 'id' | 'port'>) =>
    fleet.start('master', ['--id', slot.id], { tallyAs: slot.id, httpPort: slot.port });
  const masters: MasterSlot[] = MASTER_IDS.map((id, i) => {
    const slot = { id, port: ports[i]! };
    return { ...slot, process: startMaster(slot) };
  });
  const workerIds = Array.from({ length: options.workers }, (_, i) => `w${i + 1}`);
  const startWorker = (slot: Pick<WorkerSlot, 'id' | 'port'>): AppProcess =>
    fleet.start('worker', ['--id', slot.id], { tallyAs: slot.id, httpPort: slot.port });
  const workers: WorkerSlot[] = workerIds.map((id, i) => {
    const slot = { id, port: ports[MASTER_IDS.length + i]! };
    return { ...slot, process: startWorker(slot) };
  });
  const trials = new TakeoverTrials(
    admin,
    masters,
    (slot) => startMaster(slot),
    Math.max(30_000, 4 * options.sessionMs),
    say,
  );
  const zkServers = ensemble.nodes.map((n) => ({ label: `zk${n.id}`, pid: n.pid }));
  const probe: RunProbe = {
    processes: () => [
      ...fleet
        .running()
        .filter((app) => app.name !== 'producer' && app.pid !== undefined)
        .map((app) => ({ label: app.id, pid: app.pid! })),
      ...zkServers.filter((s): s is { label: string; pid: number } => s.pid !== null),
      { label: 'bench', pid: process.pid },
    ],
    leaderTotals: () => leaderTotals(masters),
  };
  const firstLeader = await trials.leader(60_000);
  await waitForWorkers(admin, workerIds, 60_000);
  say(`${firstLeader.id} leads; workers ${workerIds.join(', ')} registered`);
  checkAborted();
  return {
    ensemble,
    admin,
    fleet,
    masters,
    workerIds,
    workers,
    startWorker,
    trials,
    probe,
    srvr,
    otherServers,
    config,
  };
}

export async function waitForWorkers(
  client: ZkClient,
  ids: string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const registered = await client.getChildren(PATHS.workers).catch((): string[] => []);
    if (ids.every((id) => registered.includes(id))) return;
    if (performance.now() > deadline) {
      throw new Error(
        `workers not all registered within ${timeoutMs / 1000} s: ${registered.join(', ') || 'none'}`,
      );
    }
    await sleep(100);
  }
}

/** Detached, so it outlives a SIGKILLed bench; it ends when the pid file is removed. */
function startOrphanReaper(benchDir: string, pidFile: string, mains: string[]): void {
  const reaper = spawn(
    process.execPath,
    [join(benchDir, 'dist', 'orphan-reaper.js'), String(process.pid), pidFile, ...mains],
    { detached: true, stdio: 'ignore' },
  );
  reaper.unref();
}

/**
 * `lab chaos`: runs on the lab that is up in the state folder, or brings up one of its own
 * (stopped again at the end), then prints the summary, writes the JSON report, and fails
 * (exit 1) on any violation or any fault the system did not heal from.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isLabUpProcess } from '../app-process';
import { APP_SESSION_TIMEOUT_MS, longestProducerRunS, type AppPlan } from '../app-plan';
import { readAppsState } from '../app-state';
import { proxyOf } from '../lab-links';
import { startLab } from '../lab-start';
import type { Output } from '../output';
import { openEnsemble, type EnsembleFlagValues } from '../zk-commands';
import type { ActionKind } from './actions';
import { runChaos } from './runner';
import { formatSummary } from './summary';

export interface ChaosFlags {
  seed: number;
  durationS: number;
  rounds: number | null;
  actions: readonly ActionKind[];
  jsonFile: string | null;
  freshJobs: number;
}

export async function labChaos(
  labState: string,
  flags: ChaosFlags,
  ensembleFlags: EnsembleFlagValues,
  plan: AppPlan,
  io: Output,
): Promise<boolean> {
  const running = readAppsState(labState);
  const useRunning = running !== null && isLabUpProcess(running.ownerPid);
  io.err(
    `chaos seed ${flags.seed}, ${flags.rounds === null ? `${flags.durationS} s` : `${flags.rounds} round(s)`}, actions: ${flags.actions.map((a) => a.kind).join(', ')}`,
  );
  let own: Awaited<ReturnType<typeof startLab>> | null = null;
  if (useRunning) {
    io.err(`on the lab that is up in ${labState} (lab up pid ${running.ownerPid})`);
  } else {
    io.err(
      `bringing up a lab of its own in ${labState}: ${plan.masters} masters, ${plan.workers} workers, ` +
        `a producer (${plan.job.type}, ${plan.rate} jobs/s)…`,
    );
    const digest = join(labState, 'logs', 'chaos-digest.log');
    mkdirSync(dirname(digest), { recursive: true });
    own = await startLab(
      labState,
      ensembleFlags,
      // One producer run for the whole experiment (the runner stops it at the end): a
      // producer that ends before is a fault, not the end of a run.
      { ...plan, producerRunS: longestProducerRunS(plan.rate) },
      (event) =>
        appendFileSync(
          digest,
          `${new Date(event.time).toISOString()} ${event.name} ${event.level} ${event.text}\n`,
        ),
      (line) => io.err(line),
    );
  }
  // A failed verdict keeps the servers' data and logs: the transaction logs say what
  // ZooKeeper applied, and in which order, when the apps' logs cannot.
  let keepServerState = false;
  // Ctrl+C: the lab this run brought up goes with it (its watchdogs would, later).
  const stopOwn = async () => {
    const lab = own;
    own = null;
    if (lab !== null) {
      await lab.fleet?.stop();
      await lab.ensemble.stop({ keepState: keepServerState });
      if (keepServerState) {
        io.err(
          `the ZooKeeper servers' data and logs are kept in ${lab.ensemble.stateDir} (until the next run there)`,
        );
      }
    }
  };
  const interrupted = (signal: NodeJS.Signals) => {
    io.err(`${signal}: the chaos run stops${own === null ? '' : ', and its lab with it'}…`);
    void stopOwn().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const ensemble = own?.ensemble ?? openEnsemble(labState);
    const state = readAppsState(labState);
    const sessionTimeoutMs = Number(
      state?.apps[0]?.env.ZK_SESSION_TIMEOUT_MS ?? APP_SESSION_TIMEOUT_MS,
    );
    const report = await runChaos({
      labState,
      ensemble,
      proxy: own?.proxy ?? proxyOf(ensemble),
      root: state?.root ?? plan.root,
      sessionTimeoutMs,
      seed: flags.seed,
      durationS: flags.durationS,
      rounds: flags.rounds,
      actions: flags.actions,
      freshJobs: flags.freshJobs,
      say: (line) => io.err(line),
    });
    const jsonFile = flags.jsonFile ?? join(labState, `chaos-seed-${flags.seed}.json`);
    mkdirSync(dirname(jsonFile), { recursive: true });
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    io.out(formatSummary(report));
    io.out(`report: ${jsonFile}`);
    keepServerState = !report.ok;
    return report.ok;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stopOwn();
  }
}

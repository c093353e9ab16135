import type { Ensemble, NodeStatus } from '@zk-lab/deploy';
import type { StopReport } from './app-fleet';
import { isAppProcess, isLabUpProcess } from './app-process';
import type { AppPlan } from './app-plan';
import { readAppsState, removeAppsState } from './app-state';
import {
  serveLabDashboard,
  type LabDashboard,
  type LabDashboardFlags,
} from './dashboard/lab-dashboard';
import { DigestPrinter } from './digest-printer';
import { LabSummary } from './lab-summary';
import { startLab } from './lab-start';
import type { Output } from './output';
import { printStatus, type EnsembleFlagValues } from './zk-commands';

/** A `lab up` already runs apps from this state folder. */
export class LabRunningError extends Error {
  override readonly name = 'LabRunningError';
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function describe(row: NodeStatus): string {
  if (row.state !== 'up') return row.state;
  return row.report ? row.report.mode : 'not serving';
}

/**
 * `lab up` (`npm run lab`): brings up the ensemble, then the masters, workers and producer
 * (unless `plan` is null: --no-apps), serves the dashboard in lab mode (unless `dashboard`
 * is null: --no-dashboard), prints a digest of what they do, and on Ctrl+C (or SIGTERM)
 * stops the dashboard, the apps and then the ensemble.
 */
export async function labUp(
  labState: string,
  flags: EnsembleFlagValues,
  plan: AppPlan | null,
  io: Output,
  dashboardFlags: LabDashboardFlags | null = null,
): Promise<void> {
  refuseIfRunning(labState);
  const started = Date.now();
  io.err(`starting a ${flags.size}-server ZooKeeper ensemble (tickTime ${flags.tick} ms)…`);
  const names = ['zk', 'lab', 'producer'];
  if (plan !== null) names.push(`m${plan.masters}`, `w${plan.workers}`);
  const printer = new DigestPrinter(io, Math.max(...names.map((n) => n.length)));
  if (plan !== null) {
    io.err(
      `then ${plan.masters} master(s), ${plan.workers} worker(s)` +
        (plan.rate > 0 ? ` and a producer (${plan.job.type}, ${plan.rate} jobs/s)` : '') +
        ` on ${plan.root}, each through its own fault-proxy links…`,
    );
  }
  const { ensemble, proxy, fleet } = await startLab(
    labState,
    flags,
    plan,
    (event) => printer.print(event),
    (line) => io.err(line),
    async (serving) => {
      io.err(`serving after ${Date.now() - started} ms`);
      await printStatus(serving, io);
    },
  );
  let summary: LabSummary | null = null;
  if (fleet !== null && plan !== null) {
    const apps = fleet;
    summary = new LabSummary(printer, () => apps.apps, ensemble.connectString(), plan.root);
    summary.start();
  }
  let dashboard: LabDashboard | null = null;
  if (dashboardFlags !== null) {
    try {
      dashboard = await serveLabDashboard(
        { labState, ensemble, proxy, fleet, plan },
        dashboardFlags,
        (line) => io.err(line),
      );
      io.err(`dashboard: ${dashboard.url}`);
    } catch (error) {
      // The lab itself is up: without its page it is still a lab.
      io.err(`warn: no dashboard: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  io.err('the lab is up: press Ctrl+C to stop it. In another terminal, try');
  io.err(
    plan === null
      ? '  npm run lab:cli -- zk status   |   zk kill N   |   zk start N   |   zk pause N'
      : '  npm run lab:cli -- status   |   kill m1   |   start m1   |   pause w1   |   zk kill N',
  );

  const watcher = watchEnsemble(ensemble, printer);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const name of STOP_SIGNALS) process.once(name, () => resolve(name));
  });
  // A second Ctrl+C would kill this process half-way; the stop takes seconds at most.
  for (const name of STOP_SIGNALS) process.on(name, () => io.err('stopping; please wait…'));
  clearInterval(watcher);
  io.err(`${signal}: stopping the lab…`);
  // The dashboard first, and wholly: its stop aborts an action or chaos run from the page
  // and waits for it, so nothing starts an app again after the fleet stopped its apps.
  await dashboard?.stop();
  if (fleet !== null) {
    await summary?.stop();
    io.err(describeStop(await fleet.stop()));
  }
  await ensemble.stop();
  io.err(`stopped the ${ensemble.size}-server ZooKeeper ensemble.`);
}

/** Prints every change of a server's role (another `lab zk` command may act on them). */
function watchEnsemble(ensemble: Ensemble, printer: DigestPrinter): NodeJS.Timeout {
  let last: Map<number, string> | null = null;
  return setInterval(() => {
    void ensemble.status().then((rows) => {
      const now = new Map(rows.map((r) => [r.id, describe(r)]));
      for (const [id, what] of now) {
        const before = last?.get(id);
        if (before !== undefined && before !== what) {
          const level = what === 'down' || what === 'paused' ? 'warn' : 'info';
          printer.print({
            name: 'zk',
            time: Date.now(),
            level,
            text: `server ${id}: ${before} → ${what}`,
          });
        }
      }
      last = now;
    });
  }, 1000);
}

function describeStop(reports: StopReport[]): string {
  const by = (how: StopReport['how']) =>
    reports.filter((r) => r.how === how).map((r) => `${r.name} (pid ${r.pid})`);
  const lines = [`stopped ${reports.filter((r) => r.how !== 'not running').length} app(s):`];
  if (by('SIGTERM').length > 0) lines.push(`  with SIGTERM: ${by('SIGTERM').join(', ')}`);
  if (by('SIGKILL').length > 0)
    lines.push(`  with SIGKILL (still there after 5 s): ${by('SIGKILL').join(', ')}`);
  const down = reports.filter((r) => r.how === 'not running').map((r) => r.name);
  if (down.length > 0) lines.push(`  not running any more: ${down.join(', ')}`);
  return lines.join('\n');
}

/** Refuses when a `lab up` (or an app it started) still runs from this state folder. */
function refuseIfRunning(labState: string): void {
  const state = readAppsState(labState);
  if (state === null) return;
  const live = state.apps.filter((a) => a.pid !== null && isAppProcess(a.pid, a));
  if (live.length === 0 && !isLabUpProcess(state.ownerPid)) {
    removeAppsState(labState); // left by a lab that was killed: nothing of it runs
    return;
  }
  throw new LabRunningError(
    `the lab is already running from ${labState} (lab up pid ${state.ownerPid}; apps running: ` +
      `${live.map((a) => a.name).join(', ') || 'none'}): stop it first (Ctrl+C in its terminal, ` +
      `or kill ${state.ownerPid}), or pass another --state`,
  );
}

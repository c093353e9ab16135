/**
 * The commands that act on the apps of a running `lab up` from another terminal: status,
 * kill, stop, pause, resume, start. They find the apps in apps.json and only ever signal a
 * pid that /proc shows is still that app.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type LinkInfo, NoEnsembleError, type NodeStatus } from '@zk-lab/deploy';
import {
  AppStartError,
  AppStateError,
  appProcessState,
  isLabUpProcess,
  signalApp,
  spawnApp,
  waitForAppExit,
} from './app-process';
import { findApp, readAppsState, requireAppsState, updateApp, type AppRecord } from './app-state';
import { reportApp, type AppReport } from './app-status';
import { formatAppTable, formatCounts } from './app-table';
import { describeFaults } from './link-commands';
import type { Output } from './output';
import { formatStatusTable, summarise } from './status-table';
import { readCountsOnce, type SystemCounts } from './system-counts';
import { openEnsemble } from './zk-commands';

const EXIT_WAIT_MS = 10_000;
const READY_WAIT_MS = 20_000;

/**
 * `lab status`: the servers' table, then one row per app, then the system's counts, then
 * the network faults in force (the fault proxy's links that do not pass bytes as they come).
 */
export async function labStatus(labState: string, json: boolean, io: Output): Promise<void> {
  const apps = readAppsState(labState);
  let ensemble: { connectString: string; nodes: NodeStatus[] } | null = null;
  let links: LinkInfo[] | null = null;
  try {
    const opened = openEnsemble(labState);
    ensemble = { connectString: opened.connectString(), nodes: await opened.status() };
    links = await proxyLinks(opened, io);
  } catch (err) {
    if (!(err instanceof NoEnsembleError) || apps === null) throw err;
  }
  const reports: AppReport[] = apps === null ? [] : await Promise.all(apps.apps.map(reportApp));
  const counts: SystemCounts | null =
    apps === null ? null : await readCountsOnce(apps.connectString, apps.root);
  if (json) {
    io.out(
      JSON.stringify(
        {
          connectString: ensemble?.connectString ?? apps?.connectString ?? null,
          nodes: ensemble?.nodes ?? [],
          root: apps?.root ?? null,
          apps: reports,
          counts,
          links,
          faults: links === null ? [] : describeFaults(links),
        },
        null,
        2,
      ),
    );
    return;
  }
  if (ensemble !== null) {
    io.out(`connect string: ${ensemble.connectString}`);
    io.out(formatStatusTable(ensemble.nodes));
    io.out(summarise(ensemble.nodes));
  } else {
    io.out('no ensemble: it is gone (lab zk down?)');
  }
  io.out('');
  if (apps === null) {
    io.out('no apps: the lab runs only the ensemble (`lab up` runs the apps too)');
    return;
  }
  io.out(formatAppTable(reports));
  io.out(`${apps.root}: ${formatCounts(counts)}`);
  if (links !== null) {
    const faults = describeFaults(links);
    io.out(
      faults.length === 0
        ? 'network: every link passes (`lab partition`, `lab delay` make faults)'
        : `network faults: ${faults.join('; ')} (\`lab heal\` mends them)`,
    );
  }
}

/** The fault proxy's links; null without a proxy; [] with a note when it does not answer. */
async function proxyLinks(
  ensemble: ReturnType<typeof openEnsemble>,
  io: Output,
): Promise<LinkInfo[] | null> {
  const control = ensemble.proxyControl();
  if (control === null) return null;
  try {
    return await control.links();
  } catch (err) {
    io.err(`warning: the fault proxy does not answer: ${(err as Error).message}`);
    return [];
  }
}

/**
 * `leader` names the master that leads now (asked over each master's /status), so that a
 * lesson or a script can say "kill the leader" without knowing which; any other name is
 * itself. No master leading is an AppStateError.
 */
export async function resolveAppName(labState: string, name: string): Promise<string> {
  if (name !== 'leader') return name;
  const masters = requireAppsState(labState).apps.filter((app) => app.kind === 'master');
  for (const app of masters) {
    if (appProcessState(app) !== 'running') continue;
    const report = await reportApp(app);
    if (report.status?.state === 'leader') return app.name;
  }
  throw new AppStateError('no master leads right now (lab status shows the masters)');
}

/** `lab kill NAME [--signal SIG]` and `lab stop NAME` (SIGTERM): ends one app. */
export async function appKill(
  labState: string,
  name: string,
  signal: NodeJS.Signals,
  by: 'lab kill' | 'lab stop',
  io: Output,
): Promise<void> {
  const app = runningApp(labState, name);
  const pid = app.pid;
  // `lab up` reads this when the app exits, to tell a kill from a crash.
  updateApp(labState, name, (record) => (record.lastSignal = { pid: pid ?? 0, signal, by }));
  // SIGKILL ends a stopped process as it is; any other signal waits until it runs again.
  if (signal !== 'SIGKILL') signalApp(app, 'SIGCONT');
  if (!signalApp(app, signal)) throw new AppStateError(`${name} is not running`);
  if (!(await waitForAppExit(app, EXIT_WAIT_MS))) {
    throw new AppStateError(
      `${name} (pid ${pid}) got ${signal} but still runs after ${EXIT_WAIT_MS / 1000} s: ` +
        `\`lab kill ${name}\` sends SIGKILL`,
    );
  }
  io.out(`${name} (pid ${pid}) ${by === 'lab stop' ? 'stopped' : 'killed'} with ${signal}`);
}

/** `lab pause NAME` / `lab resume NAME`: SIGSTOP / SIGCONT. */
export async function appPause(
  labState: string,
  name: string,
  pause: boolean,
  io: Output,
): Promise<void> {
  const app = runningApp(labState, name);
  signalApp(app, pause ? 'SIGSTOP' : 'SIGCONT');
  // Signals arrive asynchronously: return once it took effect, for whatever comes next.
  const want = pause ? 'paused' : 'running';
  const deadline = Date.now() + 2_000;
  while (appProcessState(app) !== want && Date.now() < deadline) await sleep(10);
  io.out(
    `${name} (pid ${app.pid}) ${pause ? 'paused (SIGSTOP): it answers nothing' : 'resumed (SIGCONT)'}`,
  );
}

/** `lab start NAME`: starts a stopped app again, same id, port and log, and waits until it serves. */
export async function appStart(labState: string, name: string, io: Output): Promise<void> {
  const state = requireAppsState(labState);
  const app = findApp(state, name);
  if (!isLabUpProcess(state.ownerPid)) {
    throw new AppStateError(
      `the \`lab up\` (pid ${state.ownerPid}) that runs these apps is gone: bring the lab up again`,
    );
  }
  if (appProcessState(app) !== 'gone') {
    throw new AppStateError(`${name} is already running (pid ${app.pid})`);
  }
  const child = spawnApp(app, false);
  const pid = child.pid ?? null;
  updateApp(labState, name, (record) => (record.pid = pid));
  app.pid = pid;
  const role = await waitUntilServing(app);
  const port = app.port === null ? '' : `, HTTP on 127.0.0.1:${app.port}`;
  io.out(`${name} started (pid ${pid}${port})${role === '' ? '' : `: ${role}`}`);
}

/** `lab start all`: starts every app that is not running, one after another. */
export async function appStartAll(labState: string, io: Output): Promise<void> {
  const down = requireAppsState(labState).apps.filter((app) => appProcessState(app) === 'gone');
  if (down.length === 0) {
    io.out('nothing to start: every app runs');
    return;
  }
  for (const app of down) await appStart(labState, app.name, io);
}

/** Waits until the app serves (master: elected or following; worker: registered). */
async function waitUntilServing(app: AppRecord): Promise<string> {
  const deadline = Date.now() + READY_WAIT_MS;
  for (;;) {
    if (appProcessState(app) === 'gone') {
      throw new AppStartError(`${app.name} exited while starting: read ${app.logPath}`);
    }
    if (app.port === null) {
      // The producer has no /status: it serves if it is still streaming a moment later.
      await sleep(1_000);
      if (appProcessState(app) === 'gone') continue;
      return 'streaming';
    }
    const report = await reportApp(app);
    const status = report.status ?? {};
    const ready =
      app.kind === 'master'
        ? status.state === 'leader' || status.state === 'follower'
        : status.registered === true;
    if (ready) return report.role;
    if (Date.now() > deadline) return `not serving yet after ${READY_WAIT_MS / 1000} s`;
    await sleep(100);
  }
}

function runningApp(labState: string, name: string): AppRecord {
  const app = findApp(requireAppsState(labState), name);
  if (appProcessState(app) === 'gone') {
    throw new AppStateError(`${name} is not running (start it with \`lab start ${name}\`)`);
  }
  return app;
}

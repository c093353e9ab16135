import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EnsembleRunningError,
  EnsembleStartError,
  NoEnsembleError,
  ServerStateError,
  ZooKeeperNotFoundError,
} from '@zk-lab/deploy';
import {
  appKill,
  appPause,
  appStart,
  appStartAll,
  labStatus,
  resolveAppName,
} from './app-commands';
import { AppsNotBuiltError, parseJobFlags, parseRoot, type AppPlan } from './app-plan';
import { AppStartError, AppStateError } from './app-process';
import { BadAppsStateError, NoLabAppsError, UnknownAppError } from './app-state';
import { labUp, LabRunningError } from './lab-up';
import {
  AppFlags,
  ChaosFlags,
  DelayMs,
  EnsembleFlags,
  parseOrUsage,
  ServerId,
  stateDir,
  UsageError,
} from './options';
import { ACTIONS, selectActions, UnknownActionError } from './chaos/actions';
import { labChaos } from './chaos/chaos-command';
import { ChaosSetupError } from './chaos/runner';
import { NoFaultProxyError } from './lab-links';
import { delay, heal, partition, serverTarget } from './link-commands';
import type { Output } from './output';
import { runTop } from './top/top-command';
import {
  openEnsemble,
  zkDown,
  zkKill,
  zkPause,
  zkStart,
  zkStartAll,
  zkStatus,
  zkUp,
} from './zk-commands';
import { runMonitor } from './monitor/monitor-command';
import { learnCli } from './learn/learn-command';
import { runDashboard } from './dashboard/dashboard-command';
import {
  DashboardUsageError,
  DEFAULT_DASHBOARD_PORT,
  parseHost,
  parsePort,
} from './dashboard/dashboard-options';
import type { LabDashboardFlags } from './dashboard/lab-dashboard';

export const USAGE = `zk-lab: the operator CLI of the lab (npm run lab:cli -- <command>)

Usage:
  lab up                 bring up the lab in the foreground: a ZooKeeper ensemble, then the
                         masters, the workers and a producer, and serve the web dashboard;
                         print a digest of what they do (elections, workers joining and
                         leaving, warnings, errors, exits) and a summary every 10 s; stop it
                         all on Ctrl+C
  lab status [--json]    the servers, then one row per app (pid, up/down, role, port), the
                         system's counts (workers registered, queue, results, dead) and the
                         network faults in force (partitions, delays)
  lab kill NAME [--signal SIG]   kill app NAME (m1, w2, producer…; SIGKILL by default);
                         NAME \`leader\` is the master that leads now (kill, stop, pause,
                         partition)
  lab stop NAME          stop app NAME cleanly (SIGTERM)
  lab start NAME         start app NAME again (same id, port and log) and wait until it serves;
                         \`lab start all\` starts every app that is down
  lab pause NAME         freeze app NAME (SIGSTOP): it answers nothing, its session expires
  lab resume NAME        let a paused app run again (SIGCONT)
  lab partition NAME     cut app NAME from ZooKeeper: it keeps running, its bytes stall both
                         ways (a real network split), its session expires if it lasts
  lab partition zk N|leader   cut server N (or the leader) from its peers; clients still reach it
  lab heal [NAME|zk]     heal every link, or app NAME's links, or the servers' links
  lab delay NAME|LINK MS every byte on app NAME's links (or one link) MS late; 0 removes it
  lab chaos              a seeded chaos run with a verdict from outside (see Options (chaos));
                         runs on the lab that is up, or brings up one of its own
  lab zk up              start an ensemble in the background and return
  lab zk status [--json] one row per server: state, mode, pid, port, latency, znodes, connections
  lab zk kill N|leader [--signal SIG]   kill server N or the one that leads now (SIGKILL by
                         default; SIGTERM stops it cleanly)
  lab zk start N|all     start server N (or every server that is down) again, same ports and
                         data, and wait until it serves
  lab zk pause N|leader  freeze server N (SIGSTOP): its sockets stay open, it answers nothing
  lab zk resume N        let a paused server run again (SIGCONT)
  lab zk down            stop every server and delete the ensemble's data
  lab monitor            any ensemble's servers from four-letter words (lab monitor --help)
  lab top [PATH]         the live view of a subtree, its changes, sessions and servers (--help)
  lab dashboard          the live web dashboard, read-only, on any ensemble: prints its URL
                         and serves until Ctrl+C (lab dashboard --help)
  lab learn [N]          the lessons (docs/lessons): lesson N's text, its commands run with
                         you and checked against what it says they show (lab learn --help)
  lab help               this text

Options (up):
  --masters N    masters m1..mN (default 2)
  --workers N    workers w1..wN (default 3)
  --rate R       jobs per second the producer streams (default 2; 0 runs no producer)
  --job-type T   the jobs' type: echo, sleep, cpu, fail, flaky (default sleep)
  --payload JSON the jobs' payload (default {"ms":500} for sleep)
  --root PATH    the system's root znode (default /zk-lab)
  --session-timeout MS   the apps' ZooKeeper session timeout (default 4000): how long a
                 killed or cut-off app holds its leadership, registration or tasks
  --no-apps      the ensemble alone
  --dashboard-port N   the web dashboard's port (default 8089; when it is taken, any free
                 port, and a line says which); \`lab up\` prints its URL with the token
                 the page's buttons need: dashboard: http://127.0.0.1:PORT/#token=TOKEN
  --dashboard-host H   the interface it listens on (default 127.0.0.1; another one is
                 reachable from other machines: a warning says so)
  --no-dashboard no dashboard
Options (chaos):
  --seed S       the schedule's seed (default: random, printed); the same seed, the same
                 actions on the same targets in the same order
  --duration S   seconds during which actions start (default 300)
  --rounds N     instead: N rounds, each every chosen kind once, in a seeded order
  --actions A,B  action kinds, or prefixes ending in - (zk-, worker-…); default all:
${actionList()}
  --json FILE    the report (default DIR/chaos-seed-S.json)
  --fresh-jobs N jobs in the batch produced after the last heal (default 20)
  (its own lab takes --masters, --workers, --rate (default 20), --job-type, --payload
  (default sleep {"ms":300}), --root, --session-timeout, --size, --tick, --heap as up does)
  Exit codes: 0 the verdict holds, 1 a violation or a fault that did not heal, 2 bad usage.

Options (up, zk up):
  --size N       servers in the ensemble, odd (default 3; 1 runs standalone)
  --tick MS      ZooKeeper tickTime in ms (default 200: sessions of 0.4 s to 4 s)
  --heap MB      Java heap per server (default 512)
Options (all):
  --state DIR    where the lab keeps configs, data and logs (default $ZK_LAB_STATE or ./.lab)

Each app logs to DIR/logs/NAME.log (appended); DIR/apps.json lists the apps of a running
\`lab up\` (pid, port, log, command line) for the other commands.
ZooKeeper itself: ZOOKEEPER_HOME (a distribution) or ZOOKEEPER_JAR, else Debian's package,
which is installed with apt-get when missing and this runs as root.

Exit codes: 0 done, 1 failed, 2 bad usage.`;

/** The chaos action kinds, wrapped under the --actions option. */
function actionList(): string {
  const lines: string[] = [];
  let line = '';
  for (const kind of ACTIONS.map((a) => a.kind)) {
    if (line.length + kind.length > 72) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += `${kind} `;
  }
  lines.push(line.trimEnd());
  return lines.map((l) => `                 ${l}`).join('\n');
}

/** `lab up`'s dashboard flags, or null for --no-dashboard. */
function labDashboardFlags(values: {
  'dashboard-port'?: string | undefined;
  'dashboard-host'?: string | undefined;
  'no-dashboard'?: boolean | undefined;
}): LabDashboardFlags | null {
  if (values['no-dashboard'] === true) {
    if (values['dashboard-port'] !== undefined || values['dashboard-host'] !== undefined)
      throw new UsageError('--no-dashboard excludes --dashboard-port and --dashboard-host');
    return null;
  }
  try {
    return {
      port:
        values['dashboard-port'] === undefined
          ? DEFAULT_DASHBOARD_PORT
          : parsePort(values['dashboard-port'], '--dashboard-port'),
      host:
        values['dashboard-host'] === undefined
          ? '127.0.0.1'
          : parseHost(values['dashboard-host'], '--dashboard-host'),
    };
  } catch (error) {
    if (error instanceof DashboardUsageError) throw new UsageError(error.message);
    throw error;
  }
}

const SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP']);

/** Failures that are the lab's state, not a bug: printed as one line, exit code 1. */
const FAILURES = [
  NoEnsembleError,
  EnsembleRunningError,
  EnsembleStartError,
  ZooKeeperNotFoundError,
  ServerStateError,
  RangeError,
  LabRunningError,
  NoLabAppsError,
  BadAppsStateError,
  UnknownAppError,
  AppStateError,
  AppStartError,
  AppsNotBuiltError,
  NoFaultProxyError,
  ChaosSetupError,
];

/** A chaos run whose verdict failed: the summary is printed, the exit code is 1. */
class ChaosVerdictFailed extends Error {
  override readonly name = 'ChaosVerdictFailed';
}

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], io: Output): Promise<number> {
  if (argv[0] === 'monitor') return runMonitor(argv.slice(1), io);
  if (argv[0] === 'learn') return learnCli(argv.slice(1), io);
  try {
    if (argv[0] === 'top') return await runTop(argv.slice(1), io);
    if (argv[0] === 'dashboard') return await runDashboard(argv.slice(1), io);
    await dispatch(argv, io);
    return 0;
  } catch (err) {
    if (err instanceof ChaosVerdictFailed) return 1;
    if (err instanceof UsageError || err instanceof UnknownActionError) {
      io.err(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (FAILURES.some((type) => err instanceof type)) {
      io.err(`error: ${(err as Error).message}`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

const APP_COMMANDS = new Set(['kill', 'stop', 'start', 'pause', 'resume']);

function parseCommandLine(argv: string[]) {
  // `chaos --json FILE` names a file; elsewhere `--json` is a switch.
  const chaos = argv.find((arg) => !arg.startsWith('-')) === 'chaos';
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        size: { type: 'string' },
        tick: { type: 'string' },
        heap: { type: 'string' },
        state: { type: 'string' },
        signal: { type: 'string' },
        json: { type: chaos ? 'string' : 'boolean' },
        masters: { type: 'string' },
        workers: { type: 'string' },
        rate: { type: 'string' },
        'job-type': { type: 'string' },
        payload: { type: 'string' },
        root: { type: 'string' },
        'no-apps': { type: 'boolean' },
        seed: { type: 'string' },
        duration: { type: 'string' },
        rounds: { type: 'string' },
        actions: { type: 'string' },
        'fresh-jobs': { type: 'string' },
        'session-timeout': { type: 'string' },
        'dashboard-port': { type: 'string' },
        'dashboard-host': { type: 'string' },
        'no-dashboard': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function signalFlag(value: string | undefined): NodeJS.Signals {
  const signal = (value ?? 'SIGKILL').toUpperCase();
  const name = signal.startsWith('SIG') ? signal : `SIG${signal}`;
  if (!SIGNALS.has(name))
    throw new UsageError(`--signal must be one of ${[...SIGNALS].join(', ')}`);
  return name as NodeJS.Signals;
}

async function dispatch(argv: string[], io: Output): Promise<void> {
  const { values, positionals } = parseCommandLine(argv);
  const [command, sub, arg, ...extra] = positionals;
  if (values.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return;
  }
  // Absolute: apps.json and the apps' markers name it, whatever folder a command runs in.
  const labState = resolve(stateDir(values.state));
  const ensembleFlags = () =>
    parseOrUsage(
      EnsembleFlags,
      { size: values.size, tick: values.tick, heap: values.heap },
      'options',
    );
  const appPlan = (): AppPlan | null => {
    if (values['no-apps']) return null;
    const counts = parseOrUsage(
      AppFlags,
      {
        masters: values.masters,
        workers: values.workers,
        rate: values.rate,
        sessionTimeout: values['session-timeout'],
      },
      'options',
    );
    return {
      masters: counts.masters,
      workers: counts.workers,
      rate: counts.rate,
      sessionTimeoutMs: counts.sessionTimeout,
      job: parseJobFlags(values['job-type'], values.payload),
      root: parseRoot(values.root),
    };
  };
  const serverId = () => {
    if (arg === undefined) throw new UsageError(`\`zk ${sub}\` needs a server number`);
    return parseOrUsage(ServerId, arg, 'server number');
  };
  const serverOrLeader = async () =>
    arg === 'leader' ? serverTarget(openEnsemble(labState), 'leader') : serverId();
  const noMore = (rest: (string | undefined)[]) => {
    const extras = rest.filter((x) => x !== undefined);
    if (extras.length > 0) throw new UsageError(`unexpected argument(s): ${extras.join(' ')}`);
  };

  if (command === 'up') {
    noMore([sub, arg, ...extra]);
    return labUp(labState, ensembleFlags(), appPlan(), io, labDashboardFlags(values));
  }
  if (command === 'status') {
    noMore([sub, arg, ...extra]);
    return labStatus(labState, values.json === true, io);
  }
  if (APP_COMMANDS.has(command)) {
    noMore([arg, ...extra]);
    if (sub === undefined)
      throw new UsageError(`\`${command}\` needs an app name (m1, w1, producer, leader…)`);
    const name = command === 'start' ? sub : await resolveAppName(labState, sub);
    switch (command) {
      case 'kill':
        return appKill(labState, name, signalFlag(values.signal), 'lab kill', io);
      case 'stop':
        return appKill(labState, name, 'SIGTERM', 'lab stop', io);
      case 'start':
        return name === 'all' ? appStartAll(labState, io) : appStart(labState, name, io);
      default:
        return appPause(labState, name, command === 'pause', io);
    }
  }
  if (command === 'partition') {
    noMore(extra);
    if (sub === undefined) throw new UsageError('`partition` needs an app name or `zk N`');
    if (sub !== 'zk') noMore([arg]);
    return partition(labState, sub === 'zk' ? sub : await resolveAppName(labState, sub), arg, io);
  }
  if (command === 'heal') {
    noMore([arg, ...extra]);
    return heal(labState, sub, io);
  }
  if (command === 'delay') {
    noMore(extra);
    if (sub === undefined || arg === undefined)
      throw new UsageError('`delay` needs an app or link name and a delay in ms');
    return delay(labState, sub, parseOrUsage(DelayMs, arg, 'delay'), io);
  }
  if (command === 'chaos') {
    noMore([sub, arg, ...extra]);
    const chaos = parseOrUsage(
      ChaosFlags,
      {
        seed: values.seed,
        duration: values.duration,
        rounds: values.rounds,
        freshJobs: values['fresh-jobs'],
        rate: values.rate,
      },
      'options',
    );
    const counts = parseOrUsage(
      AppFlags,
      {
        masters: values.masters,
        workers: values.workers,
        rate: chaos.rate,
        sessionTimeout: values['session-timeout'],
      },
      'options',
    );
    const ok = await labChaos(
      labState,
      {
        seed: chaos.seed,
        durationS: chaos.duration,
        rounds: chaos.rounds ?? null,
        actions: selectActions(values.actions),
        jsonFile: typeof values.json === 'string' ? values.json : null,
        freshJobs: chaos.freshJobs,
      },
      ensembleFlags(),
      {
        masters: counts.masters,
        workers: counts.workers,
        rate: counts.rate,
        job: parseJobFlags(
          values['job-type'],
          values.payload ?? (values['job-type'] === undefined ? '{"ms":300}' : undefined),
        ),
        root: parseRoot(values.root),
        sessionTimeoutMs: counts.sessionTimeout,
      },
      io,
    );
    if (!ok) throw new ChaosVerdictFailed('the chaos verdict failed');
    return;
  }
  if (command !== 'zk') throw new UsageError(`unknown command: ${command}`);
  switch (sub) {
    case 'up':
      noMore([arg, ...extra]);
      return zkUp(labState, ensembleFlags(), io);
    case 'down':
      noMore([arg, ...extra]);
      return zkDown(labState, io);
    case 'status':
      noMore([arg, ...extra]);
      return zkStatus(labState, values.json === true, io);
    case 'kill':
      noMore(extra);
      return zkKill(labState, await serverOrLeader(), signalFlag(values.signal), io);
    case 'start':
      noMore(extra);
      return arg === 'all' ? zkStartAll(labState, io) : zkStart(labState, serverId(), io);
    case 'pause':
      noMore(extra);
      return zkPause(labState, await serverOrLeader(), true, io);
    case 'resume':
      noMore(extra);
      return zkPause(labState, serverId(), false, io);
    default:
      throw new UsageError(
        sub === undefined ? '`zk` needs a subcommand' : `unknown command: zk ${sub}`,
      );
  }
}

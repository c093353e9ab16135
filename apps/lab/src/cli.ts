import { parseArgs } from 'node:util';
import {
  EnsembleRunningError,
  EnsembleStartError,
  NoEnsembleError,
  ServerStateError,
  ZooKeeperNotFoundError,
} from '@zk-lab/deploy';
import { labUp } from './lab-up';
import { EnsembleFlags, parseOrUsage, ServerId, stateDir, UsageError } from './options';
import type { Output } from './output';
import { zkDown, zkKill, zkPause, zkStart, zkStatus, zkUp } from './zk-commands';

export const USAGE = `zk-lab: the operator CLI of the lab (npm run lab:cli -- <command>)

Usage:
  lab up                 bring up the lab in the foreground (a ZooKeeper ensemble for now),
                         print its status and every change, stop it all on Ctrl+C
  lab zk up              start an ensemble in the background and return
  lab zk status [--json] one row per server: state, mode, pid, port, latency, znodes, connections
  lab zk kill N [--signal SIG]   kill server N (SIGKILL by default; SIGTERM stops it cleanly)
  lab zk start N         start server N again (same ports and data) and wait until it serves
  lab zk pause N         freeze server N (SIGSTOP): its sockets stay open, it answers nothing
  lab zk resume N        let a paused server run again (SIGCONT)
  lab zk down            stop every server and delete the ensemble's data
  lab help               this text

Options (up, zk up):
  --size N       servers in the ensemble, odd (default 3; 1 runs standalone)
  --tick MS      ZooKeeper tickTime in ms (default 200: sessions of 0.4 s to 4 s)
  --heap MB      Java heap per server (default 512)
Options (all):
  --state DIR    where the lab keeps configs, data and logs (default $ZK_LAB_STATE or ./.lab)

ZooKeeper itself: ZOOKEEPER_HOME (a distribution) or ZOOKEEPER_JAR, else Debian's package,
which is installed with apt-get when missing and this runs as root.

Exit codes: 0 done, 1 failed, 2 bad usage.`;

const SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP']);

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], io: Output): Promise<number> {
  try {
    await dispatch(argv, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (
      err instanceof NoEnsembleError ||
      err instanceof EnsembleRunningError ||
      err instanceof EnsembleStartError ||
      err instanceof ZooKeeperNotFoundError ||
      err instanceof ServerStateError ||
      err instanceof RangeError
    ) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

async function dispatch(argv: string[], io: Output): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        size: { type: 'string' },
        tick: { type: 'string' },
        heap: { type: 'string' },
        state: { type: 'string' },
        signal: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, sub, arg, ...extra] = positionals;
  if (values.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return;
  }
  const labState = stateDir(values.state);
  const ensembleFlags = () =>
    parseOrUsage(
      EnsembleFlags,
      { size: values.size, tick: values.tick, heap: values.heap },
      'options',
    );
  const serverId = () => {
    if (arg === undefined) throw new UsageError(`\`zk ${sub}\` needs a server number`);
    return parseOrUsage(ServerId, arg, 'server number');
  };
  const noMore = (rest: (string | undefined)[]) => {
    const extras = rest.filter((x) => x !== undefined);
    if (extras.length > 0) throw new UsageError(`unexpected argument(s): ${extras.join(' ')}`);
  };

  if (command === 'up') {
    noMore([sub, arg, ...extra]);
    return labUp(labState, ensembleFlags(), io);
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
      return zkStatus(labState, values.json ?? false, io);
    case 'kill': {
      noMore(extra);
      const signal = (values.signal ?? 'SIGKILL').toUpperCase();
      const name = signal.startsWith('SIG') ? signal : `SIG${signal}`;
      if (!SIGNALS.has(name))
        throw new UsageError(`--signal must be one of ${[...SIGNALS].join(', ')}`);
      return zkKill(labState, serverId(), name as NodeJS.Signals, io);
    }
    case 'start':
      noMore(extra);
      return zkStart(labState, serverId(), io);
    case 'pause':
    case 'resume':
      noMore(extra);
      return zkPause(labState, serverId(), sub === 'pause', io);
    default:
      throw new UsageError(
        sub === undefined ? '`zk` needs a subcommand' : `unknown command: zk ${sub}`,
      );
  }
}

/** The shell's own flags, before the command: `zk [--connect …] [--json] [COMMAND …]`. */
import { UsageError } from './shell-errors';

export interface ShellFlags {
  connect: string | undefined;
  sessionTimeoutMs: string | undefined;
  connectTimeoutMs: number;
  json: boolean;
  readOnly: boolean;
  keepGoing: boolean;
  help: boolean;
  /** The one-shot command's words; empty for the interactive shell or a script. */
  command: string[];
}

export const SHELL_USAGE = [
  'usage: npm run zk -- [--connect HOST:PORT,…] [--json] [--read-only] [--keep-going]',
  '                     [--session-timeout MS] [--connect-timeout MS] [COMMAND [ARGS…]]',
  '',
  '  no COMMAND, on a terminal: the interactive shell (Tab completes, history kept)',
  '  no COMMAND, stdin not a terminal: a script, one command a line (# comments)',
  '  COMMAND: that one command, then exit',
  '',
  '  --connect          the ensemble (default: $ZK_CONNECT, else the lab’s running one)',
  '  --json             one JSON value a line on stdout for each result',
  '  --read-only        refuse every write before sending it',
  '  --keep-going       a script goes on after a failing line',
  '  --session-timeout  the session timeout asked for, ms (default 4000, $ZK_SESSION_TIMEOUT_MS)',
  '  --connect-timeout  how long to try for the first session, ms (default 10000), else exit 3',
  '',
  'exit codes: 0 ok, 1 a ZooKeeper or operation failure, 2 bad usage, 3 cannot connect',
];

export function parseShellFlags(argv: string[]): ShellFlags {
  const flags: ShellFlags = {
    connect: undefined,
    sessionTimeoutMs: undefined,
    connectTimeoutMs: 10_000,
    json: false,
    readOnly: false,
    keepGoing: false,
    help: false,
    command: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const [name, inline] = word.includes('=') ? word.split(/=(.*)/s, 2) : [word, undefined];
    const value = (): string => {
      const given = inline ?? argv[++i];
      if (given === undefined) throw new UsageError(`${name} needs a value`);
      return given;
    };
    if (name === '--connect' || name === '-c') flags.connect = value();
    else if (name === '--session-timeout') flags.sessionTimeoutMs = value();
    else if (name === '--connect-timeout') flags.connectTimeoutMs = milliseconds(name, value());
    else if (name === '--json') flags.json = true;
    else if (name === '--read-only') flags.readOnly = true;
    else if (name === '--keep-going') flags.keepGoing = true;
    else if (name === '--help' || name === '-h') flags.help = true;
    else if (word.startsWith('-')) throw new UsageError(`unknown flag ${word}`);
    else {
      flags.command = argv.slice(i);
      break;
    }
  }
  return flags;
}

function milliseconds(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 600_000) {
    throw new UsageError(`${flag}: expected milliseconds, 1 to 600000, not ${text}`);
  }
  return value;
}

/** The help texts: the whole tool and one per command. */
import { describeConfigKeys } from './config-keys';

export const COMMANDS = ['get', 'set', 'edit', 'history'] as const;
export type CommandName = (typeof COMMANDS)[number];

const TOOL = 'npm run config --';

const CONNECTION_HELP = `Connection (flags override the environment):
  --connect HOST:PORT,...   ZooKeeper servers (ZK_CONNECT; default: the lab's ensemble in
                            $ZK_LAB_STATE/zk or ./.lab/zk)
  --root PATH               the system's root znode (ZK_ROOT; default /zk-lab)
  --session-timeout MS      session timeout (ZK_SESSION_TIMEOUT_MS; default 4000)
  --connect-timeout MS      give up when no server answers within this (default 10000)
Credentials (environment only, never logged): ZK_ADMIN_AUTH=user:password (default: the
lab's admin identity), ZK_APP_DIGEST when the apps use their own identity.`;

const EXIT_CODES = `Exit codes: 0 done, 1 failed (ZooKeeper unreachable, credentials refused, write
conflict), 2 bad usage or invalid config (nothing written).`;

function keysHelp(): string {
  const rows = describeConfigKeys().map(
    (k) => `  ${k.key.padEnd(17)} default ${JSON.stringify(k.default).padEnd(8)} ${k.accepts}`,
  );
  return `Keys of the config:\n${rows.join('\n')}`;
}

const COMMAND_HELP: Record<CommandName, () => string> = {
  get: () => `Usage: ${TOOL} get [--json]

Prints the config in force: /config pretty-printed with its znode version and modification
time; the defaults, said to be the defaults, when /config does not exist. When /config holds
data the apps reject (written behind the updater's back), prints the raw data marked
INVALID, every problem, and the last version the updater wrote, which running apps most
likely keep. Exits 0 in every one of these cases; with --json, "state" says which
("valid", "absent" or "invalid").`,
  set: () => `Usage: ${TOOL} set FILE|-|'{json}' [--expected-version N]

Validates a whole config (a file, - for stdin, or inline JSON starting with "{") with the
schema the apps use, and writes it, every key filled in (omitted keys take their
defaults), only if /config is still at the version read (or N with --expected-version).
Prints the changes (key: old → new) and the new version; writes nothing when nothing
changes. Every accepted version is also recorded in /config-history.

${keysHelp()}`,
  edit: () => `Usage: ${TOOL} edit KEY=VALUE [KEY=VALUE…] [--expected-version N]

Changes some keys of the current config (the defaults when /config does not exist) and
writes the result like set does. A value is taken as JSON when it parses (8, "info"),
else as a string: logLevel=debug workerCapacity=8.

${keysHelp()}`,
  history: () => `Usage: ${TOOL} history [--limit N] [--json]

Lists the versions written by the updater, newest first: version, time, who wrote it and
what changed from the version before. The last 100 are kept. --limit: how many to show
(default 20).`,
};

export function commandHelp(command: CommandName): string {
  return `${COMMAND_HELP[command]()}\n\n${CONNECTION_HELP}\n\n${EXIT_CODES}`;
}

export const TOOL_HELP = `zk-lab config: read and change the live config (/config) of the masters and workers

Usage: ${TOOL} COMMAND [options]

Commands:
  get [--json]                                 the config in force, with its version
  set FILE|-|'{json}' [--expected-version N]   replace the whole config
  edit KEY=VALUE… [--expected-version N]       change some keys
  history [--limit N] [--json]                 the accepted versions, newest first
  help [COMMAND], COMMAND --help               this text, or one command's

Every write is validated with the apps' own schema and made only if /config is still at
the version read, so two updaters never overwrite each other silently.

${CONNECTION_HELP}

${EXIT_CODES}`;

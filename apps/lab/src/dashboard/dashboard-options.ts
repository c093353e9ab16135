/** `lab dashboard`'s command line: its flags, its help text, and where the ensemble is found. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Ensemble } from '@zk-lab/deploy';
import { resolveConnection } from '@zk-lab/lab-core';
import { InvalidPathError, validatePath } from '@zk-lab/zk-client';
import { z } from 'zod';
import { stateDir } from '../options';

/** Where the dashboard listens unless told otherwise (lab up's, and lab dashboard's). */
export const DEFAULT_DASHBOARD_PORT = 8089;
const FALLBACK_CONNECT = '127.0.0.1:2181';

export const DASHBOARD_USAGE = `lab dashboard [--connect HOST:PORT,…] [--root PATH] [--port N] [--host H] [--open]

The live web dashboard, read-only, on any ZooKeeper ensemble: the tree under PATH kept
current by one persistent recursive watch, the servers (four-letter words), the sessions
and their ephemeral nodes, charts and a timeline. It changes nothing: every POST is refused.
It prints its URL and serves until Ctrl+C. (\`lab up\` serves the same page in lab mode,
with the chaos buttons.)

Options:
  --connect HOSTS  the ensemble (default $ZK_CONNECT, else the lab's ensemble in --state
                   when there is one, else ${FALLBACK_CONNECT})
  --root PATH      the subtree the tree shows (default /)
  --port N         the port (default ${DEFAULT_DASHBOARD_PORT}, or any free one when that is taken;
                   an explicit port that is taken is an error)
  --host H         the interface to listen on (default 127.0.0.1; another one exposes the
                   ensemble's data to whoever reaches this machine: a warning says so)
  --open           open the page in the browser (xdg-open)
  --state DIR      the lab's state, to find its ensemble (default $ZK_LAB_STATE or ./.lab)
  -h, --help       this text

Exit codes: 0 stopped with Ctrl+C, 1 could not connect or listen, 2 bad usage.`;

/** Bad input: one line, exit code 2. */
export class DashboardUsageError extends Error {
  override readonly name = 'DashboardUsageError';
}

export interface DashboardOptions {
  connectString: string;
  root: string;
  port: number;
  /** The port was not given: another may be used when it is taken. */
  portIsDefault: boolean;
  host: string;
  open: boolean;
}

export const PortFlag = z.coerce.number().int().min(0).max(65_535);

/** A --port value, as a usage error when it is not a port. */
export function parsePort(value: string, flag: string): number {
  const port = PortFlag.safeParse(value);
  if (!port.success || value.trim() === '') {
    throw new DashboardUsageError(`${flag} must be a port number (0 to 65535), not ${value}`);
  }
  return port.data;
}

/** A --host value: a name or address, nothing else. */
export function parseHost(value: string, flag: string): string {
  if (!/^[A-Za-z0-9.:-]+$/.test(value) && !/^\[[0-9A-Fa-f:.]+\]$/.test(value)) {
    throw new DashboardUsageError(`${flag} must be a host name or an address, not ${value}`);
  }
  return value.replace(/^\[|\]$/g, '');
}

export function parseDashboardArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): DashboardOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        connect: { type: 'string' },
        root: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        open: { type: 'boolean' },
        state: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new DashboardUsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  let connect = values.connect ?? (env.ZK_CONNECT || undefined);
  if (connect === undefined) {
    const zkState = join(resolve(stateDir(values.state, env)), 'zk');
    connect = existsSync(join(zkState, 'ensemble.json'))
      ? Ensemble.open(zkState).connectString()
      : FALLBACK_CONNECT;
  }
  // The same checks (and messages) as every app's connect string; throws ConnectionSettingsError.
  const { connectString } = resolveConnection({ connect }, {});
  const root = values.root ?? '/';
  try {
    validatePath(root, { op: 'dashboard' });
  } catch (error) {
    if (error instanceof InvalidPathError) {
      throw new DashboardUsageError(`--root: bad path ${JSON.stringify(root)}`);
    }
    throw error;
  }
  return {
    connectString,
    root,
    port: values.port === undefined ? DEFAULT_DASHBOARD_PORT : parsePort(values.port, '--port'),
    portIsDefault: values.port === undefined,
    host: values.host === undefined ? '127.0.0.1' : parseHost(values.host, '--host'),
    open: values.open === true,
  };
}

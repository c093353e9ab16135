/**
 * The flags of the two services (master and worker): connection flags, the HTTP port and
 * the instance id. Bad flags are a usage error (exit code 2).
 */
import { parseArgs } from 'node:util';
import { type ConnectionSettings, ConnectionSettingsError, resolveConnection } from '../connection';

export interface ServiceArgs {
  connection: ConnectionSettings;
  httpPort: number;
  httpHost: string;
  id: string | undefined;
  capacity: number | undefined;
  help: boolean;
}

export const SERVICE_FLAGS_HELP = `Connection (flags override the environment):
  --connect HOST:PORT,...   ZooKeeper servers (ZK_CONNECT; default: the lab's ensemble in
                            $ZK_LAB_STATE/zk or ./.lab/zk)
  --root PATH               the system's root znode (ZK_ROOT; default /zk-lab)
  --session-timeout MS      session timeout (ZK_SESSION_TIMEOUT_MS; default 4000)
HTTP:
  --http-port N             port of /health /ready /metrics /status (HTTP_PORT; default 0:
                            any free port, logged at start)
  --http-host HOST          (HTTP_HOST; default 127.0.0.1)
Credentials (environment only, never logged): ZK_APP_AUTH=user:password, ZK_ADMIN_DIGEST.
`;

export function parseServiceArgs(
  argv: string[],
  extra: { id?: boolean; capacity?: boolean } = {},
  env: Record<string, string | undefined> = process.env,
): ServiceArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        connect: { type: 'string' },
        root: { type: 'string' },
        'session-timeout': { type: 'string' },
        'http-port': { type: 'string' },
        'http-host': { type: 'string' },
        id: { type: 'string' },
        capacity: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ConnectionSettingsError((error as Error).message);
  }
  if (values.help === true) {
    return {
      connection: { connectString: '', root: '', sessionTimeoutMs: 0, source: 'flag' },
      httpPort: 0,
      httpHost: '',
      id: undefined,
      capacity: undefined,
      help: true,
    };
  }
  if (values.id !== undefined && extra.id !== true) {
    throw new ConnectionSettingsError('unknown option --id');
  }
  if (values.capacity !== undefined && extra.capacity !== true) {
    throw new ConnectionSettingsError('unknown option --capacity');
  }
  const rawPort = values['http-port'] ?? env.HTTP_PORT ?? '0';
  const httpPort = Number(rawPort);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65_535) {
    throw new ConnectionSettingsError(`bad --http-port ${JSON.stringify(rawPort)}`);
  }
  let capacity: number | undefined;
  if (values.capacity !== undefined) {
    capacity = Number(values.capacity);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 256) {
      throw new ConnectionSettingsError(
        `bad --capacity ${JSON.stringify(values.capacity)}: expected 1 to 256`,
      );
    }
  }
  return {
    connection: resolveConnection(
      { connect: values.connect, root: values.root, sessionTimeoutMs: values['session-timeout'] },
      env,
    ),
    httpPort,
    httpHost: values['http-host'] ?? env.HTTP_HOST ?? '127.0.0.1',
    id: values.id ?? env.ZK_LAB_ID,
    capacity,
    help: false,
  };
}

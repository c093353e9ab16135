/**
 * Where an app finds ZooKeeper, and the one way every app connects: flags first, then the
 * environment (`ZK_CONNECT`, `ZK_ROOT`, `ZK_SESSION_TIMEOUT_MS`), then the lab's running
 * ensemble (`$ZK_LAB_STATE/zk`, default `./.lab/zk`), so that `npm run master` finds the
 * ensemble `npm run lab` started.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ensemble } from '@zk-lab/deploy';
import { randomUUID } from 'node:crypto';
import {
  CreateMode,
  MultiError,
  NoAuthError,
  NoNodeError,
  validatePath,
  ZkClient,
  LAN_RECONNECT_BACKOFF,
} from '@zk-lab/zk-client';
import { ensureSystemParents } from './namespace-setup';
import { type Credentials, namespaceAcls } from './credentials';
import { DEFAULT_ROOT } from './namespace';

export interface ConnectionFlags {
  connect?: string | undefined;
  root?: string | undefined;
  sessionTimeoutMs?: string | number | undefined;
}

export interface ConnectionSettings {
  connectString: string;
  root: string;
  sessionTimeoutMs: number;
  /** Where the connect string came from, for the start-up log line. */
  source: 'flag' | 'ZK_CONNECT' | 'lab';
}

/** Thrown when the settings are missing or malformed: a usage error (exit code 2). */
export class ConnectionSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionSettingsError';
  }
}

export const DEFAULT_SESSION_TIMEOUT_MS = 4_000;
const HOST_PORT = /^[^\s,/]+:\d{1,5}(,[^\s,/]+:\d{1,5})*(\/\S*)?$/;

type Env = Record<string, string | undefined>;

export function resolveConnection(
  flags: ConnectionFlags,
  env: Env = process.env,
): ConnectionSettings {
  let connectString: string | undefined;
  let source: ConnectionSettings['source'] = 'flag';
  if (flags.connect !== undefined) connectString = flags.connect;
  else if (env.ZK_CONNECT !== undefined && env.ZK_CONNECT !== '') {
    connectString = env.ZK_CONNECT;
    source = 'ZK_CONNECT';
  } else {
    const stateDir = join(env.ZK_LAB_STATE ?? join(process.cwd(), '.lab'), 'zk');
    if (existsSync(join(stateDir, 'ensemble.json'))) {
      connectString = Ensemble.open(stateDir).connectString();
      source = 'lab';
    }
  }
  if (connectString === undefined) {
    throw new ConnectionSettingsError(
      'no ZooKeeper to connect to: pass --connect host:port[,host:port…], set ZK_CONNECT, ' +
        'or start the lab first (npm run lab)',
    );
  }
  if (!HOST_PORT.test(connectString)) {
    throw new ConnectionSettingsError(
      `bad connect string ${JSON.stringify(connectString)}: expected host:port[,host:port…]`,
    );
  }
  const badPort = badPortOf(connectString);
  if (badPort !== null) {
    throw new ConnectionSettingsError(
      `bad connect string ${JSON.stringify(connectString)}: port ${badPort} is not 1 to 65535`,
    );
  }
  const root = flags.root ?? env.ZK_ROOT ?? DEFAULT_ROOT;
  try {
    validatePath(root, { op: 'root' });
  } catch (error) {
    throw new ConnectionSettingsError(`bad root path ${JSON.stringify(root)}: ${String(error)}`);
  }
  if (root === '/') throw new ConnectionSettingsError('the root path cannot be "/"');
  const rawTimeout = flags.sessionTimeoutMs ?? env.ZK_SESSION_TIMEOUT_MS;
  const sessionTimeoutMs =
    rawTimeout === undefined ? DEFAULT_SESSION_TIMEOUT_MS : Number(rawTimeout);
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 400 || sessionTimeoutMs > 600_000) {
    throw new ConnectionSettingsError(
      `bad session timeout ${JSON.stringify(rawTimeout)}: expected milliseconds, 400 to 600000`,
    );
  }
  return { connectString, root, sessionTimeoutMs, source };
}

/** Thrown at connect when the namespace does not exist and this tool may not create it. */
export class NamespaceMissingError extends Error {
  constructor(readonly root: string) {
    super(
      `no zk-lab namespace at ${root}: a master creates it when it first starts; ` +
        'check --root / ZK_ROOT for a typo',
    );
    this.name = 'NamespaceMissingError';
  }
}

/** The first port of a host:port list outside 1..65535, or null. */
function badPortOf(connectString: string): string | null {
  const hosts = connectString.replace(/\/.*$/, '').split(',');
  for (const host of hosts) {
    const port = host.slice(host.lastIndexOf(':') + 1);
    const value = Number(port);
    if (!Number.isInteger(value) || value < 1 || value > 65_535) return port;
  }
  return null;
}

/**
 * Connects as `credentials` under the root and makes the system parents the apps expect.
 * With `createNamespace` (the master, the test harness, the config updater's writes) a
 * missing root is created with the namespace ACL; without it (tools that only read or
 * produce) a missing root is NamespaceMissingError, so a mistyped `--root` never silently
 * makes a new namespace nobody schedules.
 */
export async function connectToNamespace(
  settings: ConnectionSettings,
  credentials: Credentials,
  options: {
    connectTimeoutMs?: number;
    createNamespace?: boolean;
    /** More identities this session proves (a worker's own identity). */
    extraAuth?: readonly { scheme: string; credentials: string }[];
  } = {},
): Promise<ZkClient> {
  const acls = namespaceAcls();
  const create = options.createNamespace ?? true;
  const client = await ZkClient.connect({
    // Without creation, the root is a chroot: nothing is made on the way in.
    connectString: create ? settings.connectString : `${settings.connectString}${settings.root}`,
    ...(create ? { root: settings.root, rootAcl: acls.root } : {}),
    auth: [credentials.authInfo(), ...(options.extraAuth ?? [])],
    sessionTimeoutMs: settings.sessionTimeoutMs,
    // A loopback lab: back within about 100 ms of a new leader (see LAN_RECONNECT_BACKOFF).
    reconnectBackoff: LAN_RECONNECT_BACKOFF,
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  try {
    if (!create && (await client.exists('/')) === null) {
      throw new NamespaceMissingError(settings.root);
    }
    await checkGranted(client, settings.root, credentials);
    await ensureSystemParents(client, acls);
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

/**
 * Thrown at connect when the root's ACL does not let these credentials write: a wrong
 * password (digest auth itself never fails; the server only grants what the ACL names),
 * or a namespace made with other credentials. Names the user, never the password.
 */
export class NotAuthorizedError extends Error {
  constructor(
    readonly user: string,
    readonly root: string,
  ) {
    super(
      `the credentials of user "${user}" are not authorized to write ${root}: ` +
        'a wrong password, or a namespace created with other credentials (check ZK_MASTER_AUTH, ' +
        'ZK_WORKER_AUTH, ZK_PRODUCER_AUTH, ZK_ADMIN_AUTH; a namespace made before each role had ' +
        'its own identity grants only the old ZK_APP_AUTH one: remove it or use another root)',
    );
    this.name = 'NotAuthorizedError';
  }
}

/**
 * Digest auth itself never fails, and getACL hides digests from identities without ADMIN,
 * so the check is a dry run: a transaction whose first op (create a node in the root) needs
 * the CREATE permission and whose second op (check a node that does not exist) always
 * fails. The server checks the ops in order, so the op that fails says whether the create
 * was allowed, and nothing is ever written.
 */
async function checkGranted(
  client: ZkClient,
  root: string,
  credentials: Credentials,
): Promise<void> {
  const probe = `/.probe-${randomUUID()}`;
  try {
    await client
      .multi()
      .create(probe, undefined, { mode: CreateMode.EPHEMERAL })
      .check(`${probe}-absent`, -1)
      .commit();
  } catch (error) {
    if (!(error instanceof MultiError)) throw error;
    if (error.index === 0 && error.opError instanceof NoAuthError) {
      throw new NotAuthorizedError(credentials.user, root);
    }
    if (error.index === 1 && error.opError instanceof NoNodeError) return;
    throw error;
  }
  throw new Error(`the permission probe ${probe} was committed; it cannot be`);
}

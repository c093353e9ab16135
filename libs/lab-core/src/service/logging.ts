/**
 * What every service logs about its session and its config, through any pino-style logger.
 */
import type { ZkClient } from '@zk-lab/zk-client';
import type { ConfigWatcher } from '../config-watcher';

/** The part of a pino logger used here: `(object, message)`. */
export interface LogSink {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function sessionIdHex(client: ZkClient): string {
  return sessionHex(client.sessionId);
}

/**
 * A session id as every log line, status page and task shows it, and as ZooKeeper prints
 * it: `0x` and unsigned hex (an id made by a server numbered 128 or more is negative as an
 * int64).
 */
export function sessionHex(sessionId: bigint): string {
  return `0x${BigInt.asUintN(64, sessionId).toString(16)}`;
}

/** Logs every session state change. */
export function logSessionStates(client: ZkClient, log: LogSink): void {
  client.on('state', (state) => {
    const fields = { state, sessionId: sessionIdHex(client) };
    if (state === 'SUSPENDED' || state === 'LOST') log.warn(fields, `ZooKeeper session ${state}`);
    else log.info(fields, `ZooKeeper session ${state}`);
  });
}

/**
 * Logs each config version: the diff when applied, the reason when rejected (the last good
 * config stays), a warning when `/config` was deleted. `setLevel` applies `logLevel`.
 */
export function logConfigChanges(
  config: ConfigWatcher,
  log: LogSink,
  setLevel: (level: string) => void,
): void {
  config.on('applied', (next, diff, version) => {
    setLevel(next.logLevel);
    log.info({ configVersion: version, diff }, `config version ${version} applied`);
  });
  config.on('rejected', (error, version) => {
    const kept = config.status().version;
    log.error(
      { configVersion: version, error: error.detail, kept },
      kept === null
        ? `config version ${version} rejected; no good version read yet`
        : `config version ${version} rejected; keeping the last good config (version ${kept})`,
    );
  });
  config.on('recovered', (_config, version, historyName) => {
    log.warn(
      { configVersion: version, history: historyName },
      `/config holds no good version: running on version ${version}, the last good one (/config-history/${historyName})`,
    );
  });
  config.on('deleted', () => {
    const kept = config.status().version;
    log.warn(
      { kept },
      kept === null
        ? 'the config node was deleted; running on the defaults'
        : `the config node was deleted; keeping the last good config (version ${kept})`,
    );
  });
  config.on('error', (error) => log.error({ err: error }, 'config read failed'));
}

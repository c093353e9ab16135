/**
 * Where the shell connects (--connect, else ZK_CONNECT, else the lab's running ensemble, as
 * every zk-lab app finds it) and the session it makes: the whole tree, no namespace root.
 */
import { ConnectionSettingsError, DEFAULT_ROOT, resolveConnection } from '@zk-lab/lab-core';
import { ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import { CannotConnectError, UsageError } from './shell-errors';
import { hex } from './stat-format';

export interface ShellConnection {
  connectString: string;
  sessionTimeoutMs: number;
}

export function shellConnection(
  flags: { connect: string | undefined; sessionTimeoutMs: string | undefined },
  env: Record<string, string | undefined> = process.env,
): ShellConnection {
  try {
    // The root is the lab's, given so that no ZK_ROOT can make this fail: the shell ignores it.
    const settings = resolveConnection(
      { connect: flags.connect, root: DEFAULT_ROOT, sessionTimeoutMs: flags.sessionTimeoutMs },
      env,
    );
    return { connectString: settings.connectString, sessionTimeoutMs: settings.sessionTimeoutMs };
  } catch (error) {
    if (!(error instanceof ConnectionSettingsError)) throw error;
    // Nothing named at all is "cannot connect"; something named but malformed is usage.
    const named = flags.connect !== undefined || (env.ZK_CONNECT ?? '') !== '';
    const Failure = named || flags.sessionTimeoutMs !== undefined ? UsageError : CannotConnectError;
    throw new Failure(error.message);
  }
}

export async function connectShell(
  connection: ShellConnection,
  connectTimeoutMs = 10_000,
): Promise<ZkClient> {
  try {
    return await ZkClient.connect({
      connectString: connection.connectString,
      sessionTimeoutMs: connection.sessionTimeoutMs,
      connectTimeoutMs,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CannotConnectError(`cannot connect to ${connection.connectString}: ${reason}`);
  }
}

/**
 * Tells a person what a connection change means for them, one line each: a lost connection
 * (the session may live on), the same session back, an expired one (its ephemeral nodes
 * gone) and the new session made in its place.
 */
export function announceStates(client: ZkClient, say: (line: string) => void): void {
  let session = client.sessionId;
  let expired = false;
  client.on('state', (event: ZkStateEvent) => {
    if (event === 'SUSPENDED') {
      say(
        `connection lost: reconnecting; session ${hex(session)} lives for ${client.negotiatedTimeoutMs} ms more at most`,
      );
    } else if (event === 'RECONNECTED') {
      say(`reconnected: session ${hex(session)} goes on, its ephemeral nodes and watches kept`);
    } else if (event === 'LOST') {
      // LOST may come from the client's own clock (a whole timeout without a server), before
      // the server expires the session and deletes its ephemeral nodes.
      expired = true;
      say(
        `session ${hex(session)} expired: its ephemeral nodes are gone or going, its watches ended; starting a new session`,
      );
    } else if (event === 'CONNECTED') {
      session = client.sessionId;
      if (expired) say(`new session ${hex(session)}`);
      expired = false;
    }
  });
}

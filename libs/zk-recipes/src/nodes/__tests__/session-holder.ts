/**
 * Keeps a client's session alive on the servers from a second connection (its id and
 * password, then a read every third of the timeout), while the client itself cannot reach
 * them: the client declares LOST and makes a new session, and the old one, with its
 * ephemeral nodes, lives on. What the ensemble does for a while after a long outage (a new
 * leader gives every session a fresh timeout), made deterministic.
 */
import type { ZkClient } from '@zk-lab/zk-client';
import { Connection } from '../../../../zk-client/src/connection';
import { ConnectionLossError } from '../../../../zk-client/src/errors';
import { JuteWriter } from '../../../../zk-client/src/jute';
import { OpCode, PROTOCOL_VERSION } from '../../../../zk-client/src/protocol';
import { writePathWatchRequest } from '../../../../zk-client/src/records';

export interface HeldSession {
  readonly sessionId: bigint;
  /** Whether the session still answers (a read on it succeeds). */
  alive(): Promise<boolean>;
  /** Ends the session (closeSession) and the connection. Idempotent. */
  close(): Promise<void>;
}

export async function holdSession(
  client: ZkClient,
  host: string,
  port: number,
): Promise<HeldSession> {
  const sessionId = client.sessionId;
  const password = Buffer.from(client.sessionPassword);
  const timeOutMs = client.negotiatedTimeoutMs;
  // The client's own reconnect attempts may take the session over for a moment (the
  // server then drops this connection): the holder attaches again.
  const attach = async (): Promise<Connection | null> => {
    const { connection, response } = await Connection.open({
      host,
      port,
      connectTimeoutMs: 5_000,
      request: {
        protocolVersion: PROTOCOL_VERSION,
        lastZxidSeen: 0n,
        timeOutMs,
        sessionId,
        password,
        readOnly: false,
      },
      handlers: {
        onNotification: () => undefined,
        onZxid: () => undefined,
        onClose: () => undefined,
      },
    });
    if (response.timeOutMs > 0 && response.sessionId === sessionId) return connection;
    connection.destroy();
    return null;
  };
  let connection = await attach();
  if (connection === null) throw new Error(`session 0x${sessionId.toString(16)} had expired`);
  const touch = async (): Promise<boolean> => {
    if (connection === null) return false; // expired
    if (!connection.isOpen) connection = await attach();
    if (connection === null) return false;
    const body = new JuteWriter();
    writePathWatchRequest(body, '/', false);
    try {
      await connection.submit({
        opCode: OpCode.exists,
        body: body.toBuffer(),
        context: { op: 'exists', path: '/' },
      });
      return true;
    } catch {
      return false;
    }
  };
  const timer = setInterval(() => void touch(), Math.max(100, timeOutMs / 4));
  let closed = false;
  return {
    sessionId,
    // A read the client's leftover attempt cut off proves nothing: read through a new attach.
    alive: async () => (await touch()) || (await touch()),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (connection === null) return;
      if (!connection.isOpen) connection = await attach().catch(() => null);
      await connection
        ?.submit({ opCode: OpCode.closeSession, body: Buffer.alloc(0), context: { op: 'close' } })
        .catch((error: unknown) => {
          if (!(error instanceof ConnectionLossError)) throw error;
        });
      connection?.destroy();
    },
  };
}

/**
 * Ends a client's session from a second connection to `host:port`, as a server-side
 * expiry would: the session's id and password, then closeSession.
 */
import type { ZkClient } from '../client';
import { Connection } from '../connection';
import { ConnectionLossError } from '../errors';
import { OpCode, PROTOCOL_VERSION } from '../protocol';

export async function expireFromElsewhere(
  client: ZkClient,
  host: string,
  port: number,
): Promise<void> {
  const { connection } = await Connection.open({
    host,
    port,
    connectTimeoutMs: 5_000,
    request: {
      protocolVersion: PROTOCOL_VERSION,
      lastZxidSeen: 0n,
      timeOutMs: client.negotiatedTimeoutMs,
      sessionId: client.sessionId,
      password: client.sessionPassword,
      readOnly: false,
    },
    handlers: {
      onNotification: () => undefined,
      onZxid: () => undefined,
      onClose: () => undefined,
    },
  });
  // The server ends the session, then closes this connection, and may do so before its
  // answer is read: a ConnectionLossError here means the close was already done. (If it
  // was not, the caller's wait for LOST fails.)
  await connection
    .submit({ opCode: OpCode.closeSession, body: Buffer.alloc(0), context: { op: 'close' } })
    .catch((error: unknown) => {
      if (!(error instanceof ConnectionLossError)) throw error;
    });
  connection.destroy();
}

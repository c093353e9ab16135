/**
 * One error class per ZooKeeper error code (KeeperException.Code), so callers
 * test with `instanceof`, never by message.
 */

/** Error codes as the server sends them in reply headers. */
export const ErrorCode = {
  OK: 0,
  SYSTEM_ERROR: -1,
  RUNTIME_INCONSISTENCY: -2,
  DATA_INCONSISTENCY: -3,
  CONNECTION_LOSS: -4,
  MARSHALLING_ERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATION_TIMEOUT: -7,
  BAD_ARGUMENTS: -8,
  UNKNOWN_SESSION: -12,
  NEW_CONFIG_NO_QUORUM: -13,
  RECONFIG_IN_PROGRESS: -14,
  API_ERROR: -100,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_CALLBACK: -113,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
  SESSION_MOVED: -118,
  NOT_READ_ONLY: -119,
  EPHEMERAL_ON_LOCAL_SESSION: -120,
  NO_WATCHER: -121,
  REQUEST_TIMEOUT: -122,
  RECONFIG_DISABLED: -123,
  SESSION_CLOSED_REQUIRE_SASL_AUTH: -124,
  QUOTA_EXCEEDED: -125,
  THROTTLED_OP: -127,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ZkErrorContext {
  /** The operation that failed, e.g. 'create'. */
  op?: string;
  /** The path the operation was on, as the caller gave it. */
  path?: string;
}

/** Base of every error this client raises for a ZooKeeper error code. */
export class ZkError extends Error {
  override name = 'ZkError';
  readonly code: number;
  readonly op: string | undefined;
  readonly path: string | undefined;

  constructor(code: number, description: string, context: ZkErrorContext = {}) {
    const where = [context.op, context.path].filter((s) => s !== undefined).join(' ');
    super(where === '' ? description : `${description}: ${where}`);
    this.code = code;
    this.op = context.op;
    this.path = context.path;
  }
}

// Classes are written out (not generated) so each one is a distinct type for `instanceof` narrowing.

export class SystemError extends ZkError {
  override name = 'SystemError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.SYSTEM_ERROR, 'system error', context);
  }
}
export class RuntimeInconsistencyError extends ZkError {
  override name = 'RuntimeInconsistencyError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.RUNTIME_INCONSISTENCY, 'runtime inconsistency', context);
  }
}
export class DataInconsistencyError extends ZkError {
  override name = 'DataInconsistencyError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.DATA_INCONSISTENCY, 'data inconsistency', context);
  }
}
/** The connection dropped before the reply came: the operation may or may not have happened. */
export class ConnectionLossError extends ZkError {
  override name = 'ConnectionLossError';
  /**
   * @param detail what the socket said, when it said something (a refused connection, a
   *   TLS certificate that does not verify): it ends the message in parentheses.
   */
  constructor(
    context?: ZkErrorContext,
    readonly detail?: string,
  ) {
    super(ErrorCode.CONNECTION_LOSS, 'connection loss', context);
    if (detail !== undefined) this.message += ` (${detail})`;
  }
}
export class MarshallingError extends ZkError {
  override name = 'MarshallingError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.MARSHALLING_ERROR, 'marshalling error', context);
  }
}
export class UnimplementedError extends ZkError {
  override name = 'UnimplementedError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.UNIMPLEMENTED, 'operation unimplemented', context);
  }
}
export class OperationTimeoutError extends ZkError {
  override name = 'OperationTimeoutError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.OPERATION_TIMEOUT, 'operation timeout', context);
  }
}
export class BadArgumentsError extends ZkError {
  override name = 'BadArgumentsError';
  constructor(context?: ZkErrorContext, description = 'bad arguments') {
    super(ErrorCode.BAD_ARGUMENTS, description, context);
  }
}
export class UnknownSessionError extends ZkError {
  override name = 'UnknownSessionError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.UNKNOWN_SESSION, 'unknown session', context);
  }
}
export class NewConfigNoQuorumError extends ZkError {
  override name = 'NewConfigNoQuorumError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NEW_CONFIG_NO_QUORUM, 'no quorum of new config is connected', context);
  }
}
export class ReconfigInProgressError extends ZkError {
  override name = 'ReconfigInProgressError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.RECONFIG_IN_PROGRESS, 'another reconfiguration is in progress', context);
  }
}
export class ApiError extends ZkError {
  override name = 'ApiError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.API_ERROR, 'api error', context);
  }
}
export class NoNodeError extends ZkError {
  override name = 'NoNodeError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NO_NODE, 'no node', context);
  }
}
export class NoAuthError extends ZkError {
  override name = 'NoAuthError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NO_AUTH, 'not authorized', context);
  }
}
export class BadVersionError extends ZkError {
  override name = 'BadVersionError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.BAD_VERSION, 'bad version', context);
  }
}
export class NoChildrenForEphemeralsError extends ZkError {
  override name = 'NoChildrenForEphemeralsError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NO_CHILDREN_FOR_EPHEMERALS, 'ephemeral nodes may not have children', context);
  }
}
export class NodeExistsError extends ZkError {
  override name = 'NodeExistsError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NODE_EXISTS, 'node exists', context);
  }
}
export class NotEmptyError extends ZkError {
  override name = 'NotEmptyError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NOT_EMPTY, 'node has children', context);
  }
}
/** The session is gone: its ephemeral nodes are deleted and its watches dropped. */
export class SessionExpiredError extends ZkError {
  override name = 'SessionExpiredError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.SESSION_EXPIRED, 'session expired', context);
  }
}
export class InvalidCallbackError extends ZkError {
  override name = 'InvalidCallbackError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.INVALID_CALLBACK, 'invalid callback', context);
  }
}
export class InvalidACLError extends ZkError {
  override name = 'InvalidACLError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.INVALID_ACL, 'invalid ACL', context);
  }
}
export class AuthFailedError extends ZkError {
  override name = 'AuthFailedError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.AUTH_FAILED, 'authentication failed', context);
  }
}
export class SessionMovedError extends ZkError {
  override name = 'SessionMovedError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.SESSION_MOVED, 'session moved to another server', context);
  }
}
export class NotReadOnlyError extends ZkError {
  override name = 'NotReadOnlyError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NOT_READ_ONLY, 'state-changing request to a read-only server', context);
  }
}
export class EphemeralOnLocalSessionError extends ZkError {
  override name = 'EphemeralOnLocalSessionError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.EPHEMERAL_ON_LOCAL_SESSION, 'ephemeral node on a local session', context);
  }
}
export class NoWatcherError extends ZkError {
  override name = 'NoWatcherError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.NO_WATCHER, 'no such watcher', context);
  }
}
export class RequestTimeoutError extends ZkError {
  override name = 'RequestTimeoutError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.REQUEST_TIMEOUT, 'request timeout', context);
  }
}
export class ReconfigDisabledError extends ZkError {
  override name = 'ReconfigDisabledError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.RECONFIG_DISABLED, 'reconfig is disabled', context);
  }
}
export class SessionClosedRequireSaslAuthError extends ZkError {
  override name = 'SessionClosedRequireSaslAuthError';
  constructor(context?: ZkErrorContext) {
    super(
      ErrorCode.SESSION_CLOSED_REQUIRE_SASL_AUTH,
      'session closed: SASL authentication required',
      context,
    );
  }
}
export class QuotaExceededError extends ZkError {
  override name = 'QuotaExceededError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.QUOTA_EXCEEDED, 'quota exceeded', context);
  }
}
export class ThrottledOpError extends ZkError {
  override name = 'ThrottledOpError';
  constructor(context?: ZkErrorContext) {
    super(ErrorCode.THROTTLED_OP, 'operation throttled by the server', context);
  }
}

/** Raised by this client, not the server: the client was closed before or while the call ran. */
export class ClientClosedError extends ZkError {
  override name = 'ClientClosedError';
  constructor(context?: ZkErrorContext) {
    // Java's client reports calls on a closed handle as SESSIONEXPIRED; a distinct type is clearer.
    super(ErrorCode.CONNECTION_LOSS, 'client closed', context);
  }
}

/**
 * A call given `timeoutMs` had no answer in time (raised by this client). Like a connection
 * loss, it says nothing of the outcome: a write may still be applied.
 */
export class CallTimeoutError extends OperationTimeoutError {
  override name = 'CallTimeoutError';
  constructor(
    context: ZkErrorContext,
    readonly timeoutMs: number,
  ) {
    super(context);
    this.message = `no answer within ${timeoutMs} ms: ${[context.op, context.path].filter(Boolean).join(' ')}`;
  }
}

/**
 * A call's `signal` aborted before its answer came (raised by this client); `reason` is the
 * signal's. A write may still be applied, unless it was never sent (still waiting for a
 * connection when the signal aborted: it is then not sent at all).
 */
export class CallAbortedError extends ZkError {
  override name = 'CallAbortedError';
  constructor(
    context: ZkErrorContext,
    readonly reason: unknown,
  ) {
    super(ErrorCode.API_ERROR, 'call aborted', context);
  }
}

/** Raised by this client before sending: the path is not a valid ZooKeeper path. */
export class InvalidPathError extends BadArgumentsError {
  override name = 'InvalidPathError';
  constructor(path: string, reason: string, op?: string) {
    super({ op, path }, `invalid path (${reason})`);
  }
}

/**
 * Raised by this client before sending: the request is larger than the server accepts
 * (jute.maxbuffer). Sent anyway, the server would drop the connection instead of answering.
 */
export class RequestTooLargeError extends BadArgumentsError {
  override name = 'RequestTooLargeError';
  readonly requestBytes: number;
  readonly maxRequestBytes: number;
  constructor(requestBytes: number, maxRequestBytes: number, context?: ZkErrorContext) {
    super(context, `request of ${requestBytes} bytes exceeds the ${maxRequestBytes}-byte limit`);
    this.requestBytes = requestBytes;
    this.maxRequestBytes = maxRequestBytes;
  }
}

/** A code no class above knows; `code` still says what the server sent. */
export class UnknownZkError extends ZkError {
  override name = 'UnknownZkError';
  constructor(code: number, context?: ZkErrorContext) {
    super(code, `unknown error code ${code}`, context);
  }
}

const byCode = new Map<number, new (context?: ZkErrorContext) => ZkError>([
  [ErrorCode.SYSTEM_ERROR, SystemError],
  [ErrorCode.RUNTIME_INCONSISTENCY, RuntimeInconsistencyError],
  [ErrorCode.DATA_INCONSISTENCY, DataInconsistencyError],
  [ErrorCode.CONNECTION_LOSS, ConnectionLossError],
  [ErrorCode.MARSHALLING_ERROR, MarshallingError],
  [ErrorCode.UNIMPLEMENTED, UnimplementedError],
  [ErrorCode.OPERATION_TIMEOUT, OperationTimeoutError],
  [ErrorCode.BAD_ARGUMENTS, BadArgumentsError],
  [ErrorCode.UNKNOWN_SESSION, UnknownSessionError],
  [ErrorCode.NEW_CONFIG_NO_QUORUM, NewConfigNoQuorumError],
  [ErrorCode.RECONFIG_IN_PROGRESS, ReconfigInProgressError],
  [ErrorCode.API_ERROR, ApiError],
  [ErrorCode.NO_NODE, NoNodeError],
  [ErrorCode.NO_AUTH, NoAuthError],
  [ErrorCode.BAD_VERSION, BadVersionError],
  [ErrorCode.NO_CHILDREN_FOR_EPHEMERALS, NoChildrenForEphemeralsError],
  [ErrorCode.NODE_EXISTS, NodeExistsError],
  [ErrorCode.NOT_EMPTY, NotEmptyError],
  [ErrorCode.SESSION_EXPIRED, SessionExpiredError],
  [ErrorCode.INVALID_CALLBACK, InvalidCallbackError],
  [ErrorCode.INVALID_ACL, InvalidACLError],
  [ErrorCode.AUTH_FAILED, AuthFailedError],
  [ErrorCode.SESSION_MOVED, SessionMovedError],
  [ErrorCode.NOT_READ_ONLY, NotReadOnlyError],
  [ErrorCode.EPHEMERAL_ON_LOCAL_SESSION, EphemeralOnLocalSessionError],
  [ErrorCode.NO_WATCHER, NoWatcherError],
  [ErrorCode.REQUEST_TIMEOUT, RequestTimeoutError],
  [ErrorCode.RECONFIG_DISABLED, ReconfigDisabledError],
  [ErrorCode.SESSION_CLOSED_REQUIRE_SASL_AUTH, SessionClosedRequireSaslAuthError],
  [ErrorCode.QUOTA_EXCEEDED, QuotaExceededError],
  [ErrorCode.THROTTLED_OP, ThrottledOpError],
]);

/** The error for a non-zero code from a reply header. */
export function errorFromCode(code: number, context?: ZkErrorContext): ZkError {
  const cls = byCode.get(code);
  return cls === undefined ? new UnknownZkError(code, context) : new cls(context);
}

/**
 * What can go wrong, as types, and the one line the user sees for each. Exit codes:
 * 0 ok, 1 a ZooKeeper or operation failure, 2 bad usage, 3 cannot connect.
 */
import {
  AuthFailedError,
  BadVersionError,
  CallAbortedError,
  CallTimeoutError,
  ClientClosedError,
  ConnectionLossError,
  InvalidACLError,
  InvalidPathError,
  NoAuthError,
  NoChildrenForEphemeralsError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  SessionExpiredError,
  UnimplementedError,
  ZkError,
} from '@zk-lab/zk-client';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_NO_CONNECTION = 3;

/** Bad command-line input: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The shell refused before sending anything (read-only, rmr without -f): exit code 1. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
  constructor(
    readonly path: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** No session could be made with the ensemble: exit code 3. */
export class CannotConnectError extends Error {
  override readonly name = 'CannotConnectError';
}

// The phrase for each error a user meets often; other ZooKeeper errors keep their own message.
const phrases: [new (...args: never[]) => ZkError, string][] = [
  [NoNodeError, 'no such node'],
  [NodeExistsError, 'node already exists'],
  [NotEmptyError, 'node has children (rmr deletes a subtree)'],
  [BadVersionError, 'version does not match (stat shows the current one)'],
  [NoAuthError, 'not authorized (see getacl; addauth proves an identity)'],
  [InvalidACLError, 'invalid ACL'],
  [NoChildrenForEphemeralsError, 'an ephemeral node cannot have children'],
  [AuthFailedError, 'authentication failed'],
  [SessionExpiredError, 'session expired'],
  [UnimplementedError, 'the server does not implement this (ZooKeeper 3.6+ needed)'],
  [ClientClosedError, 'the session is closed'],
];

/** One line, never a stack: `ls: /nope: no such node`. */
export function errorLine(command: string, error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (error instanceof RefusedError) {
    return [command, error.path, error.message].filter((s) => s !== undefined).join(': ');
  }
  if (error instanceof ZkError) {
    const where = error.path === undefined ? [command] : [command, error.path];
    return [...where, zkPhrase(error)].join(': ');
  }
  const text = error instanceof Error ? error.message : String(error);
  return `${command}: ${firstLine(text)}`;
}

function zkPhrase(error: ZkError): string {
  for (const [type, phrase] of phrases) if (error instanceof type) return phrase;
  if (error instanceof CallTimeoutError) return `no answer within ${error.timeoutMs} ms`;
  if (error instanceof CallAbortedError) return 'interrupted';
  if (error instanceof ConnectionLossError) {
    return error.detail === undefined ? 'connection loss' : `connection loss (${error.detail})`;
  }
  // The message ends with the op and path, which the line already names.
  if (error instanceof InvalidPathError) return firstLine(error.message);
  return `${firstLine(error.message)} (code ${error.code})`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof CannotConnectError) return EXIT_NO_CONNECTION;
  return EXIT_FAILED;
}

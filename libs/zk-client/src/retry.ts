/**
 * Which requests the client may repeat by itself, and how long it waits between tries.
 * A read can be repeated safely: it changes nothing. A write cannot in general (the first
 * try may have been applied before the connection dropped), so writes are never repeated
 * behind the caller's back; a protected create (see tree.ts) is the one exception, since
 * it can find out whether its first try was applied. A read is repeated only in the session
 * it was first sent in: if that session ended meanwhile, it fails with SessionExpiredError
 * (a reply from a new session would pass for one of the old).
 */
import { OpCode } from './protocol';
import type { RetryPolicy } from './client';

/** Requests that change nothing on the server. */
export const REPEATABLE_OPS: ReadonlySet<number> = new Set([
  OpCode.exists,
  OpCode.getData,
  OpCode.getACL,
  OpCode.getChildren,
  OpCode.getChildren2,
  OpCode.multiRead,
  OpCode.sync,
  OpCode.getEphemerals,
  OpCode.getAllChildrenNumber,
]);

/** Delay before try `attempt + 1`: exponential, capped, with full jitter. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

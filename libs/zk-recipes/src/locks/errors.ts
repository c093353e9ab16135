import type { ZkStateEvent } from '@zk-lab/zk-client';
import { RecipeClosedError, RecipeTimeoutError } from '../common/errors';

/** The base of every error the lock family raises. */
export class LockError extends Error {
  override readonly name: string = 'LockError';
}

/** `acquire({ timeoutMs })` gave up: the lock was not obtained within the time allowed. */
export class LockTimeoutError extends LockError {
  override readonly name: string = 'LockTimeoutError';
  /** Also a RecipeTimeoutError. */
  readonly [RecipeTimeoutError.mark] = true;

  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`${path}: not acquired within ${timeoutMs} ms`);
  }
}

/** `acquire({ signal })` gave up because the signal was aborted; `cause` is its reason. */
export class LockAbortedError extends LockError {
  override readonly name: string = 'LockAbortedError';

  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`${path}: acquisition aborted`, { cause });
  }
}

/** The recipe was closed while an acquisition was waiting. */
export class LockClosedError extends LockError {
  override readonly name: string = 'LockClosedError';
  /** Also a RecipeClosedError. */
  readonly [RecipeClosedError.mark] = true;

  constructor(readonly path: string) {
    super(`${path}: the recipe was closed`);
  }
}

/**
 * Why a lease stopped being safe: a connection state (SUSPENDED under the 'standard'
 * policy, LOST, the client CLOSED), or 'RECIPE_CLOSED' when the recipe was closed under it.
 */
export type LossReason = Extract<ZkStateEvent, 'SUSPENDED' | 'LOST' | 'CLOSED'> | 'RECIPE_CLOSED';

/**
 * A held lease is no longer safe to rely on: the reason of its AbortSignal and the payload
 * of the recipe's 'lost' event.
 */
export class LockLostError extends LockError {
  override readonly name: string = 'LockLostError';

  constructor(
    readonly path: string,
    /** The lock node that backed the lease. */
    readonly node: string,
    readonly fencingToken: bigint,
    readonly reason: LossReason,
  ) {
    super(`${node}: lease lost (${reason})`);
  }
}

import { RecipeTimeoutError } from '../common/errors';
/** Why a leader stopped leading without giving leadership up itself. */
export type RevocationReason =
  /** The connection dropped and the policy is 'standard' (the node may still be there). */
  | 'SUSPENDED'
  /** The session expired: the node is gone with it. */
  | 'LOST'
  /** Someone else deleted the participant node. */
  | 'NODE_DELETED'
  /** close() was called on the recipe, or the client was closed. */
  | 'CLOSED';

/** `LeaderLatch.await()` ran out of time before this participant was elected. */
export class LeadershipTimeoutError extends RecipeTimeoutError {
  override readonly name: string = 'LeadershipTimeoutError';

  constructor(timeoutMs: number) {
    super(`not elected within ${timeoutMs} ms`, timeoutMs);
  }
}

/**
 * The reason a LeaderElection's leadership signal is aborted with: leadership was revoked
 * (by the connection policy, a lost session, a deleted node) or the election was closed.
 */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';

  constructor(readonly reason: RevocationReason) {
    super(`leadership lost: ${reason}`);
  }
}

import { RecipeClosedError } from '../common/errors';

/** put() found the queue at its maximum depth: back off and try again later. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    readonly path: string,
    readonly depth: number,
    readonly maxDepth: number,
  ) {
    super(`queue ${path} is full: ${depth} items, at most ${maxDepth}`);
  }
}

/**
 * A taken item's claim is no longer this consumer's: its session ended (the claim went
 * with it, and the item was or will be offered again), or the item was given back.
 */
export class ClaimLostError extends Error {
  override readonly name = 'ClaimLostError';
}

/** The queue was closed while take() waited (a RecipeClosedError). */
export class QueueClosedError extends RecipeClosedError {
  override readonly name: string = 'QueueClosedError';
}

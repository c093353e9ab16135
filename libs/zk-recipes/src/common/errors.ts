/**
 * The errors every recipe shares, so a caller catches one type whatever the recipe:
 *
 * - RecipeClosedError: the recipe was closed while a call waited (a lock's acquire, a
 *   latch's await, a barrier's wait, a queue's take). LockClosedError and QueueClosedError
 *   are ones too.
 * - RecipeTimeoutError: a call's `timeoutMs` ran out (LockTimeoutError,
 *   LeadershipTimeoutError). Barriers' waits and the queue's take say so by their result
 *   instead (false, null), as Curator's do.
 *
 * A family's own errors keep their family's base (LockClosedError is a LockError): they
 * carry a mark that `instanceof RecipeClosedError` and `instanceof RecipeTimeoutError`
 * recognise, since a class has one parent only.
 */
import { RecipeStateError } from './lifecycle';

const CLOSED = Symbol.for('zk-recipes.closedWhileWaiting');
const TIMED_OUT = Symbol.for('zk-recipes.timedOut');

function marked(value: unknown, mark: symbol): boolean {
  return typeof value === 'object' && value !== null && mark in value;
}

/** The recipe was closed while this call waited. */
export class RecipeClosedError extends RecipeStateError {
  static readonly mark: typeof CLOSED = CLOSED;
  readonly [CLOSED] = true;

  override readonly name: string = 'RecipeClosedError';

  /** Any error with the mark; a subclass (QueueClosedError) tests as classes do. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== RecipeClosedError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return marked(value, CLOSED);
  }
}

/** A call's `timeoutMs` ran out before it could be done. */
export class RecipeTimeoutError extends Error {
  static readonly mark: typeof TIMED_OUT = TIMED_OUT;
  override readonly name: string = 'RecipeTimeoutError';
  readonly [TIMED_OUT] = true;

  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }

  /** Any error with the mark; a subclass (LeadershipTimeoutError) tests as classes do. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== RecipeTimeoutError)
      return Function.prototype[Symbol.hasInstance].call(this, value);
    return marked(value, TIMED_OUT);
  }
}

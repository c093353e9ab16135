/**
 * The one lifecycle every recipe has (as Curator's): LATENT until start(), STARTED until
 * close(), then CLOSED for good. start() twice or after close() is a programming error.
 */
export type RecipeState = 'LATENT' | 'STARTED' | 'CLOSED';

/** A recipe was used out of its lifecycle (started twice, used before start or after close). */
export class RecipeStateError extends Error {
  override readonly name: string = 'RecipeStateError';
}

export class Lifecycle {
  private current: RecipeState = 'LATENT';

  constructor(private readonly recipe: string) {}

  get state(): RecipeState {
    return this.current;
  }

  /** LATENT → STARTED; throws RecipeStateError otherwise. */
  start(): void {
    if (this.current !== 'LATENT') {
      throw new RecipeStateError(`${this.recipe} cannot start: it is ${this.current}`);
    }
    this.current = 'STARTED';
  }

  /** → CLOSED; returns false when it already was (close() is idempotent). */
  close(): boolean {
    if (this.current === 'CLOSED') return false;
    this.current = 'CLOSED';
    return true;
  }

  /** Throws RecipeStateError unless STARTED. */
  assertStarted(): void {
    if (this.current !== 'STARTED') {
      throw new RecipeStateError(`${this.recipe} is ${this.current}, not STARTED`);
    }
  }
}

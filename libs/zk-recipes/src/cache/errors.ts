import type { CacheChangeType } from './events';

/**
 * A listener of a cache's `added`, `updated`, `removed` or `initialized` event threw. The
 * cache went on: its copy and its other listeners were not affected. Reported as the
 * cache's `error` event (or a process warning), on the next tick; `cause` is what was thrown.
 */
export class CacheListenerError extends Error {
  override readonly name = 'CacheListenerError';

  constructor(
    readonly event: CacheChangeType | 'initialized',
    cause: unknown,
  ) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`a cache '${event}' listener threw: ${what}`, { cause });
  }
}

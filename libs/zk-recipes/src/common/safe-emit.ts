import type { EventEmitter } from 'node:events';

/**
 * Emits a recipe's event to each of its listeners in turn (review zk-recipes F9). A listener
 * that throws stops neither the listeners after it nor the recipe that emits, which often
 * does so inside the client's 'state' handling, in the middle of a loop over its holdings:
 * the error is a process warning (`ZK_RECIPES_LISTENER_ERROR`) instead, as the client does
 * for its own listeners. The raw listeners: a `once` listener's wrapper removes it as emit()
 * would. Returns whether the event had listeners.
 */
export function safeEmit(
  emitter: EventEmitter,
  recipe: string,
  event: string,
  ...args: unknown[]
): boolean {
  const listeners = emitter.rawListeners(event) as ((...a: unknown[]) => void)[];
  for (const listener of listeners) {
    try {
      listener.apply(emitter, args);
    } catch (error) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.emitWarning(`a ${recipe} '${event}' listener threw: ${what}`, {
        code: 'ZK_RECIPES_LISTENER_ERROR',
      });
    }
  }
  return listeners.length > 0;
}

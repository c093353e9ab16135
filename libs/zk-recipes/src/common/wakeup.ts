import { ConnectionLossError, SessionExpiredError } from '@zk-lab/zk-client';

/**
 * A one-shot wake-up for a recipe's wait loop (the queue's take, the barriers' waits):
 * a watch or a state change fires it, and a loop awaits it with a deadline and an
 * AbortSignal. A loop takes the wake-up it will wait on BEFORE it looks (a fresh one per
 * turn), so a change between its look and its wait is never missed, and a stale watch
 * from an earlier turn can only wake an earlier, finished wait.
 */
export class Wakeup {
  private fired = false;
  private readonly waiters: (() => void)[] = [];

  readonly fire = (): void => {
    this.fired = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  };

  /**
   * Resolves true once fired (at once if it already was), false when `deadline` (epoch ms)
   * passes first; rejects with the signal's reason when it is aborted first.
   */
  wait(deadline: number | undefined, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (this.fired) return Promise.resolve(true);
    if (deadline !== undefined && Date.now() >= deadline) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const drop = (): void => {
        const index = this.waiters.indexOf(onFire);
        if (index >= 0) this.waiters.splice(index, 1);
      };
      const onFire = (): void => {
        finish();
        resolve(true);
      };
      const onAbort = (): void => {
        finish();
        drop();
        reject(abortReason(signal));
      };
      // A timer may fire a millisecond early by the wall clock: never report a deadline
      // as passed before it has.
      const onTimer = (): void => {
        const left = deadline! - Date.now();
        if (left > 0) {
          timer = setTimeout(onTimer, left);
          return;
        }
        finish();
        drop();
        resolve(false);
      };
      if (deadline !== undefined) timer = setTimeout(onTimer, deadline - Date.now());
      this.waiters.push(onFire);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Connection trouble a wait loop rides out: the next request waits for the reconnect (or
 * the new session) and is sent then, so the loop simply looks again.
 */
export function isConnectionTrouble(error: unknown): boolean {
  return error instanceof ConnectionLossError || error instanceof SessionExpiredError;
}

/** The epoch-ms deadline of a wait, or undefined for none. */
export function deadlineOf(timeoutMs: number | undefined): number | undefined {
  if (timeoutMs === undefined) return undefined;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`timeoutMs must be a finite number >= 0, got ${timeoutMs}`);
  }
  return Date.now() + timeoutMs;
}

/** The caller's signal joined with the recipe's own (aborted by close()). */
export function joinSignals(own: AbortSignal, caller: AbortSignal | undefined): AbortSignal {
  return caller === undefined ? own : AbortSignal.any([own, caller]);
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** The options every barrier wait takes. */
export interface BarrierWaitOptions {
  /** Give up after this long: the call then resolves false. Default: wait as long as needed. */
  timeoutMs?: number;
  /** Abort the wait: the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * RoundScheduler: when the leader runs a scheduling round. Rounds are level-triggered:
 * watches, a RECONNECTED and a periodic timer (which also heals any notification lost to a
 * connection drop) all ask for "one more round"; requests that arrive while a round runs
 * are folded into a single next round. A round that throws is tried again shortly.
 *
 * It remembers when the last round completed, on the monotonic clock, so that the probes
 * can tell a leader that schedules from one that does not (review O1).
 */
import { performance } from 'node:perf_hooks';

export interface RoundSchedulerOptions {
  /** The periodic round (the reconciliation). */
  intervalMs: number;
  retryAfterMs: number;
  round: () => Promise<void>;
  onRoundFailed: (error: unknown) => void;
}

export class RoundScheduler {
  private stopped = false;
  private started = false;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** `performance.now()` when the last round completed, or when started. */
  private lastCompleted: number = performance.now();
  private lastCompletedWall: number | null = null;

  constructor(private readonly options: RoundSchedulerOptions) {}

  start(): void {
    if (this.stopped || this.started) return;
    this.started = true;
    this.lastCompleted = performance.now();
    this.timer = setInterval(() => this.trigger(), this.options.intervalMs);
    this.trigger();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
  }

  /** Milliseconds since the last round completed (or since the start, before the first). */
  sinceLastRoundMs(): number {
    return performance.now() - this.lastCompleted;
  }

  /** Wall-clock time (ms) of the last completed round, for the metric; null before it. */
  get lastRoundAt(): number | null {
    return this.lastCompletedWall;
  }

  trigger(): void {
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.runRounds();
  }

  private async runRounds(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        await this.options.round();
        if (!this.stopped) {
          this.lastCompleted = performance.now();
          this.lastCompletedWall = Date.now();
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      if (!this.stopped) {
        this.options.onRoundFailed(error);
        this.retryTimer = setTimeout(() => this.trigger(), this.options.retryAfterMs);
      }
    } finally {
      this.running = false;
    }
  }
}

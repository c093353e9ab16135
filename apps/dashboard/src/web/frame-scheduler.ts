/**
 * Runs the page's work for the next animation frame, once however often it is asked, and
 * not later than `fallbackMs` when no frame comes: Chromium runs no animation frames in a
 * background tab, even for a frame asked for before the tab was hidden, and the work (tree
 * batches) must not pile up there without limit.
 */
export interface FrameClock {
  requestFrame(run: () => void): number;
  cancelFrame(id: number): void;
  setTimer(run: () => void, ms: number): ReturnType<typeof setTimeout>;
  clearTimer(timer: ReturnType<typeof setTimeout>): void;
}

export const browserClock: FrameClock = {
  requestFrame: (run) => requestAnimationFrame(run),
  cancelFrame: (id) => cancelAnimationFrame(id),
  setTimer: (run, ms) => setTimeout(run, ms),
  clearTimer: (timer) => clearTimeout(timer),
};

export class FrameScheduler {
  private frame: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly run: () => void,
    private readonly clock: FrameClock = browserClock,
    private readonly fallbackMs = 250,
  ) {}

  /** Asks for one run: at the next frame, or after `fallbackMs` if no frame came by then. */
  schedule(): void {
    if (this.frame !== null || this.timer !== null) return;
    this.frame = this.clock.requestFrame(() => this.fire());
    this.timer = this.clock.setTimer(() => this.fire(), this.fallbackMs);
  }

  /** Whether a run is asked for and has not happened yet. */
  get scheduled(): boolean {
    return this.frame !== null || this.timer !== null;
  }

  private fire(): void {
    if (this.frame !== null) this.clock.cancelFrame(this.frame);
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.frame = null;
    this.timer = null;
    this.run();
  }
}

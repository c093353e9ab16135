import { type FrameClock, FrameScheduler } from './frame-scheduler';

/** A tab's clock driven by hand: frames run only while it is visible, timers when told. */
class TabClock implements FrameClock {
  hidden = false;
  private frames = new Map<number, () => void>();
  private timers = new Map<number, () => void>();
  private next = 1;

  requestFrame(run: () => void): number {
    this.frames.set(this.next, run);
    return this.next++;
  }
  cancelFrame(id: number): void {
    this.frames.delete(id);
  }
  setTimer(run: () => void): ReturnType<typeof setTimeout> {
    this.timers.set(this.next, run);
    return this.next++ as unknown as ReturnType<typeof setTimeout>;
  }
  clearTimer(timer: ReturnType<typeof setTimeout>): void {
    this.timers.delete(timer as unknown as number);
  }
  /** The browser paints a frame (none in a hidden tab). */
  frame(): void {
    if (this.hidden) return;
    const runs = [...this.frames.values()];
    this.frames.clear();
    for (const run of runs) run();
  }
  /** Time passes: every timer due runs. */
  elapse(): void {
    const runs = [...this.timers.values()];
    this.timers.clear();
    for (const run of runs) run();
  }
}

describe('applying tree batches once a frame', () => {
  it('runs once at the next frame however often it was asked', () => {
    const clock = new TabClock();
    let runs = 0;
    const frames = new FrameScheduler(() => runs++, clock);
    frames.schedule();
    frames.schedule();
    clock.frame();
    clock.elapse(); // the fallback was cancelled by the frame
    expect(runs).toBe(1);
    expect(frames.scheduled).toBe(false);
  });

  it('a frame asked for just before the tab was hidden never comes: the timer runs it, and the next ones', () => {
    const clock = new TabClock();
    let runs = 0;
    const frames = new FrameScheduler(() => runs++, clock);
    frames.schedule();
    clock.hidden = true;
    clock.frame();
    expect(runs).toBe(0);
    clock.elapse();
    expect(runs).toBe(1);
    frames.schedule();
    clock.elapse();
    expect(runs).toBe(2);
  });
});

/**
 * Progress on stderr: a bar redrawn in place when stderr is a terminal, otherwise a plain
 * line every second (logs and pipes get no control characters). It never keeps the
 * process alive, and never touches stdout, which holds the result.
 */
import { performance } from 'node:perf_hooks';

/** Where progress goes: process.stderr, or anything with the same two members. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const BAR_WIDTH = 30;
const TTY_REDRAW_MS = 100;
const PLAIN_LINE_MS = 1_000;

export class ProgressReporter {
  private done = 0;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  /**
   * @param label what is counted ("enqueued", "finished")
   * @param detail extra words after the count, e.g. how many are dead
   */
  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly total: number,
    private readonly detail: () => string = () => '',
  ) {
    const tty = stream.isTTY === true;
    this.timer = setInterval(() => this.render(), tty ? TTY_REDRAW_MS : PLAIN_LINE_MS);
    this.timer.unref();
  }

  update(done: number): void {
    this.done = done;
  }

  /** Draws the last state (on a terminal) and stops. */
  finish(): void {
    clearInterval(this.timer);
    if (this.stream.isTTY === true) {
      this.render();
      this.stream.write('\n');
    }
  }

  private line(): string {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    const detail = this.detail();
    return (
      `${this.done}/${this.total} ${this.label}` +
      (detail === '' ? '' : `, ${detail}`) +
      ` (${rate} jobs/s, ${seconds.toFixed(1)} s)`
    );
  }

  private render(): void {
    if (this.stream.isTTY === true) {
      const filled =
        this.total === 0 ? BAR_WIDTH : Math.floor((this.done / this.total) * BAR_WIDTH);
      const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
      const percent = this.total === 0 ? 100 : Math.floor((this.done / this.total) * 100);
      // \r and "erase line" redraw in place.
      this.stream.write(`\r\x1b[2K[${bar}] ${String(percent).padStart(3)}% ${this.line()}`);
      return;
    }
    this.stream.write(`progress: ${this.line()}\n`);
  }
}

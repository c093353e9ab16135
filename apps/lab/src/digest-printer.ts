import { formatEvent, RepeatFilter, type DigestLevel } from './event-digest';
import type { Output } from './output';

/** What the digest prints: an event of one app (or `zk`, or `lab`). */
export interface PrintableEvent {
  name: string;
  time: number;
  level: DigestLevel;
  text: string;
  key?: string;
}

/**
 * Prints the digest on stdout, one line per event, names in one column; repeats of a
 * warning within 10 s are held back and counted (see the logs for every line).
 */
export class DigestPrinter {
  private readonly repeats = new RepeatFilter();

  constructor(
    private readonly io: Output,
    private readonly nameWidth: number,
  ) {}

  print(event: PrintableEvent): void {
    if (event.key !== undefined && !this.repeats.admit({ ...event, key: event.key })) return;
    this.io.out(formatEvent(event.time, event.name, this.nameWidth, event));
  }

  /** How many repeats were held back since the last call. */
  takeHeld(): number {
    return this.repeats.takeHeld();
  }
}

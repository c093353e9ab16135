/**
 * The live view's event log (the last N changes and connection events), its events-per-second
 * meter, and the backlog: watch events received but not yet on the screen.
 */
export type LogKind = 'created' | 'changed' | 'deleted' | 'connection';

export interface LogEntry {
  at: number;
  kind: LogKind;
  /** The path, or for a connection event what happened. */
  path: string;
  session: bigint | null;
}

/** The last `capacity` entries, oldest first. */
export class ChangeLog {
  private readonly entries: LogEntry[] = [];

  constructor(private readonly capacity = 200) {}

  add(entry: LogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) {
      this.entries.splice(0, this.entries.length - this.capacity);
    }
  }

  /** The newest `count` entries, oldest first. */
  last(count: number): readonly LogEntry[] {
    return count <= 0 ? [] : this.entries.slice(-count);
  }
}

/** Events per second over the last `windowS` whole seconds. */
export class EventRate {
  private readonly buckets = new Map<number, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly windowS = 5,
  ) {}

  count(n = 1): void {
    const second = Math.floor(this.now() / 1000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + n);
    for (const key of this.buckets.keys()) {
      if (key <= second - this.windowS - 1) this.buckets.delete(key);
    }
  }

  perSecond(): number {
    const second = Math.floor(this.now() / 1000);
    let total = 0;
    // The current second is partial: the window is the last windowS full seconds.
    for (const [key, n] of this.buckets) {
      if (key < second && key >= second - this.windowS) total += n;
    }
    return total / this.windowS;
  }
}

/**
 * Watch events not yet on the screen: received (a read of the node may still be under way),
 * then drawn when a frame shows them. The view falls behind when the oldest of them waits
 * longer than `lagMs`.
 */
export class RenderBacklog {
  private received = 0;
  private drawn = 0;
  /** Arrival times of the events not yet drawn, oldest first. */
  private readonly waiting: number[] = [];
  private head = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly lagMs = 1_000,
  ) {}

  /** A watch event arrived. */
  arrived(): void {
    this.received += 1;
    this.waiting.push(this.now());
  }

  /** A frame was drawn that shows every event applied so far (`applied` of them). */
  drewUpTo(applied: number): void {
    const upTo = Math.min(applied, this.received);
    while (this.drawn < upTo) {
      this.drawn += 1;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Events received and not yet drawn. */
  get queued(): number {
    return this.received - this.drawn;
  }

  /** The queued count when the oldest waits longer than lagMs, else 0. */
  behind(): number {
    const oldest = this.waiting[this.head];
    if (oldest === undefined || this.queued === 0) return 0;
    return this.now() - oldest > this.lagMs ? this.queued : 0;
  }
}

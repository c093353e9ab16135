/**
 * What a feed keeps for a page that connects late (about five minutes of samples, the last
 * 500 timeline lines, the latest chaos run) and the listeners it tells of every event.
 */
import type { ChaosRunView, Sample, TimelineEvent } from '@zk-lab/dashboard';
import type { StatusEvents, StatusListener } from './feeds';

export const SAMPLES_KEPT = 300;
export const TIMELINE_KEPT = 500;

export class StatusHistory {
  private readonly samples: Sample[] = [];
  private readonly timeline: TimelineEvent[] = [];
  private chaos: ChaosRunView | null = null;
  private readonly listeners = new Set<StatusListener>();

  constructor(private readonly log: (line: string) => void) {}

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps what a late page needs, and tells every listener. */
  emit<K extends keyof StatusEvents>(name: K, data: StatusEvents[K]): void {
    if (name === 'sample') keep(this.samples, data as Sample, SAMPLES_KEPT);
    if (name === 'timeline') keep(this.timeline, data as TimelineEvent, TIMELINE_KEPT);
    if (name === 'chaos') this.chaos = data as ChaosRunView;
    for (const listener of [...this.listeners]) {
      try {
        listener(name, data);
      } catch (err) {
        // One page's broken listener must not stop the others, nor the feed.
        this.log(`a status listener threw on ${name}: ${(err as Error).message}`);
      }
    }
  }

  history(): { samples: Sample[]; timeline: TimelineEvent[]; chaos: ChaosRunView | null } {
    return { samples: [...this.samples], timeline: [...this.timeline], chaos: this.chaos };
  }

  clear(): void {
    this.listeners.clear();
  }
}

function keep<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

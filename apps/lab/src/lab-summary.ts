/**
 * The one-line summary of `lab up`, every 10 s and whenever the leader or the set of
 * registered workers changes: who leads (from the masters' /status), which workers are
 * registered, the queue's depth, results and dead jobs so far (from ZooKeeper).
 */
import type { AppRecord } from './app-state';
import { fetchStatus, type MasterStatusBody } from './app-status';
import type { DigestPrinter } from './digest-printer';
import { SystemCounter, withTimeout, type SystemCounts } from './system-counts';

const POLL_MS = 2_000;
const EVERY_MS = 10_000;
const READ_TIMEOUT_MS = 3_000;

export class LabSummary {
  private timer: NodeJS.Timeout | null = null;
  private counter: SystemCounter | null = null;
  private busy = false;
  private lastKey = '';
  private lastPrinted = 0;
  private lastResults: number | null = null;
  private stopped = false;

  constructor(
    private readonly printer: DigestPrinter,
    private readonly apps: () => readonly AppRecord[],
    private readonly connectString: string,
    private readonly root: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.counter?.close();
    this.counter = null;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const [leaders, counts] = await Promise.all([this.leaders(), this.counts()]);
      if (this.stopped) return;
      const key = JSON.stringify([leaders, counts?.workers ?? null]);
      const now = Date.now();
      if (key === this.lastKey && now - this.lastPrinted < EVERY_MS) return;
      this.lastKey = key;
      this.lastPrinted = now;
      this.printer.print({
        name: 'lab',
        time: now,
        level: 'info',
        text: this.line(leaders, counts),
      });
    } finally {
      this.busy = false;
    }
  }

  private line(leaders: string[], counts: SystemCounts | null): string {
    const parts = [leaders.length === 0 ? 'no leader' : `leader ${leaders.join(' and ')}`];
    if (counts === null) {
      parts.push('ZooKeeper: no answer');
    } else {
      const added =
        this.lastResults === null ? '' : ` (+${Math.max(0, counts.results - this.lastResults)})`;
      this.lastResults = counts.results;
      parts.push(
        `workers ${counts.workers.length}${counts.workers.length > 0 ? ` (${counts.workers.join(' ')})` : ''}`,
        `queue ${counts.queue}`,
        `results ${counts.results}${added}`,
        `dead ${counts.dead}`,
      );
    }
    const held = this.printer.takeHeld();
    if (held > 0) parts.push(`${held} repeated warning(s) not shown (see the logs)`);
    return parts.join(' · ');
  }

  /** The masters whose /status says they lead (two only for a moment, if ever). */
  private async leaders(): Promise<string[]> {
    const masters = this.apps().filter((a) => a.kind === 'master' && a.port !== null);
    const statuses = await Promise.all(
      masters.map(async (m) => ({ name: m.name, status: await fetchStatus(m.port ?? 0) })),
    );
    return statuses
      .filter((s) => (s.status as Partial<MasterStatusBody> | null)?.state === 'leader')
      .map((s) => s.name);
  }

  private async counts(): Promise<SystemCounts | null> {
    try {
      if (this.counter === null) {
        const counter = await SystemCounter.connect(this.connectString, this.root);
        // stop() may have come while it connected: nothing may keep the process alive.
        if (this.stopped) {
          await counter.close();
          return null;
        }
        this.counter = counter;
      }
      return await withTimeout(this.counter.read(), READ_TIMEOUT_MS);
    } catch {
      return null;
    }
  }
}

/**
 * One page's `/api/events`: a text/event-stream that says `hello`, then the history a new
 * page starts from (the latest snapshot, samples, timeline, the chaos run), then every event
 * of the feed and the tree's changes in batches (at most 10 a second; the batch that empties
 * the queue ends with a `children` row for every parent whose child count changed, which
 * ZooKeeper does not report: the count as of the tree's sequence number then, so it agrees
 * with every change sent before it), with a comment line every 15 s so that proxies and the
 * browser keep it open.
 *
 * A page that does not read fast enough must not grow this process: while the socket's
 * buffer is full, live snapshots and samples are skipped (the next one supersedes them; the
 * history a page starts from never is), tree changes wait in a coalescing queue, and a page
 * that still falls more than MAX_BUFFERED bytes behind is cut off (EventSource reconnects,
 * and starts again from `hello`).
 */
import type { ServerResponse } from 'node:http';
import type { Hello } from '@zk-lab/dashboard';
import type { StatusEvents, StatusFeed } from './feeds';
import type { LiveTree } from './live-tree';
import { TreeChangeQueue } from './tree-change-queue';

const BATCH_INTERVAL_MS = 100;
const HEARTBEAT_MS = 15_000;
const MAX_BUFFERED = 4 * 1024 * 1024;
/** Events that a newer one of the same name replaces: skipped while the page is behind. */
const SKIPPABLE = new Set<string>(['snapshot', 'sample', 'watches']);

export class PageStream {
  private readonly queue = new TreeChangeQueue();
  /** Parents whose child count changed since the last batch: one row each in the next. */
  private readonly counted = new Set<string>();
  private readonly cleanups: (() => void)[] = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private lastBatchAt = 0;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    hello: Hello,
    feed: StatusFeed,
    private readonly tree: LiveTree,
    private readonly onClose: () => void,
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    // The history is sent whole, however full the buffer: the charts start from it.
    this.send('hello', hello);
    this.send('snapshot', feed.snapshot());
    const { samples, timeline, chaos } = feed.history();
    for (const sample of samples) this.send('sample', sample);
    for (const event of timeline) this.send('timeline', event);
    if (chaos !== null) this.send('chaos', chaos);
    // In the same turn as the history: no event can fall between the two.
    this.cleanups.push(
      feed.subscribe((name, data) => this.sendLive(name, data)),
      tree.subscribe({
        change: (change) => {
          this.queue.push(change);
          this.scheduleBatch();
        },
        reloaded: () => {
          this.queue.reloadAll();
          this.counted.clear();
          this.scheduleBatch();
        },
        counted: (parent) => {
          this.counted.add(parent);
          this.scheduleBatch();
        },
      }),
    );
    const heartbeat = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.cleanups.push(() => clearInterval(heartbeat));
    const drained = () => this.scheduleBatch();
    res.on('drain', drained);
    res.on('close', () => this.close());
    this.cleanups.push(() => res.off('drain', drained));
  }

  /** Ends the stream (the server stops, or the page went away). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cleanup of this.cleanups) cleanup();
    if (this.batchTimer !== null) clearTimeout(this.batchTimer);
    if (!this.res.writableEnded) this.res.end();
    this.onClose();
  }

  /** A live event of the feed: one a newer one supersedes is skipped while the page is behind. */
  private sendLive(name: keyof StatusEvents, data: unknown): void {
    if (SKIPPABLE.has(name) && this.res.writableNeedDrain) return;
    this.send(name, data);
  }

  private send<K extends keyof StatusEvents | 'hello' | 'tree'>(name: K, data: unknown): void {
    this.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(text: string): void {
    if (this.closed) return;
    if (this.res.writableLength > MAX_BUFFERED) {
      // Far behind: cut it off rather than hold more; the page reconnects.
      this.res.destroy();
      this.close();
      return;
    }
    this.res.write(text);
  }

  /** A batch at once when none went out in the last 100 ms, else when that time is up. */
  private scheduleBatch(): void {
    if (this.closed || this.batchTimer !== null) return;
    if (this.queue.isEmpty && this.counted.size === 0) return;
    const wait = Math.max(0, this.lastBatchAt + BATCH_INTERVAL_MS - Date.now());
    this.batchTimer = setTimeout(() => {
      this.batchTimer = null;
      this.sendBatch();
    }, wait);
  }

  private sendBatch(): void {
    // Behind: wait for 'drain' while the queue coalesces what comes meanwhile.
    if (this.closed || this.res.writableNeedDrain) return;
    const batch = this.queue.take() ?? { changes: [], dropped: 0, reload: false };
    // Parents last, once the queue is empty: a count as of now agrees with every change sent
    // (sent with changes still queued, it would count some the page has not had yet).
    if (this.queue.isEmpty) {
      const seq = this.tree.seq;
      for (const parent of this.counted) {
        const entry = this.tree.get(parent);
        if (entry !== undefined) {
          batch.changes.push({
            path: parent,
            kind: 'children',
            seq,
            node: this.tree.summary(entry),
          });
        }
      }
      this.counted.clear();
    }
    if (batch.changes.length === 0 && !batch.reload && batch.dropped === 0) return;
    this.lastBatchAt = Date.now();
    this.send('tree', batch);
    this.scheduleBatch();
  }
}

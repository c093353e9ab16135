/**
 * The tree changes waiting for one page. A page that keeps up gets every change in order. One
 * that falls behind gets them coalesced: one change per path, at the place of its first one,
 * saying how the node ends up (a node created and deleted meanwhile is not sent at all); the
 * changes merged away are counted as `dropped`. Past MAX_PENDING paths the queue gives up on
 * details: it forgets them and tells the page to reload what it shows. So a slow page costs
 * bounded memory, whatever the rate of changes.
 */
import type { TreeBatch, TreeChange } from '@zk-lab/dashboard';

/** Changes in one batch at most. */
export const MAX_BATCH = 1_000;
/** Distinct paths kept for a page that is behind; past this it reloads instead. */
export const MAX_PENDING = 5_000;

export class TreeChangeQueue {
  private changes: TreeChange[] = [];
  private dropped = 0;
  private reload = false;
  /** Coalesce again only when the queue doubled since the last time (amortised cost). */
  private coalesceAt = MAX_BATCH;

  get isEmpty(): boolean {
    return this.changes.length === 0 && !this.reload && this.dropped === 0;
  }

  push(change: TreeChange): void {
    this.changes.push(change);
    if (this.changes.length > this.coalesceAt) this.coalesce();
  }

  /** The page must read again what it shows: what is pending is moot. */
  reloadAll(): void {
    this.changes = [];
    this.reload = true;
    this.coalesceAt = MAX_BATCH;
  }

  /** The next batch (at most MAX_BATCH changes, the oldest first), or null when none waits. */
  take(): TreeBatch | null {
    if (this.isEmpty) return null;
    // Behind (some were merged already) or too many for one batch: one change per path.
    if (this.changes.length > MAX_BATCH || this.dropped > 0) this.coalesce();
    const batch: TreeBatch = {
      changes: this.changes.slice(0, MAX_BATCH),
      dropped: this.dropped,
      reload: this.reload,
    };
    this.changes = this.changes.slice(MAX_BATCH);
    this.dropped = 0;
    this.reload = false;
    this.coalesceAt = Math.max(MAX_BATCH, 2 * this.changes.length);
    return batch;
  }

  private coalesce(): void {
    const byPath = new Map<string, { existed: boolean; last: TreeChange | null }>();
    for (const change of this.changes) {
      const seen = byPath.get(change.path);
      if (seen === undefined) {
        byPath.set(change.path, { existed: change.kind !== 'created', last: change });
      } else if (change.kind === 'deleted') {
        seen.last = seen.existed ? change : null;
      } else {
        seen.last = { ...change, kind: seen.existed ? 'changed' : 'created' };
      }
    }
    const kept: TreeChange[] = [];
    for (const { last } of byPath.values()) if (last !== null) kept.push(last);
    this.dropped += this.changes.length - kept.length;
    if (kept.length > MAX_PENDING) {
      this.dropped += kept.length;
      this.reloadAll();
      return;
    }
    this.changes = kept;
    this.coalesceAt = Math.max(MAX_BATCH, 2 * kept.length);
  }
}

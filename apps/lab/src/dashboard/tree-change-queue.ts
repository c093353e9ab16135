/**
 * The tree changes waiting for one page. A page that keeps up gets every change in order. One
 * that falls behind gets them coalesced, at the place of each path's first change, saying how
 * the node ends up, each with the sequence number of the last change it stands for:
 * - still there: `created` (new), `changed`, or, when it was deleted on the way, its last
 *   deletion followed by `created` (the page shows that pair as one row, replaced);
 * - gone: its last deletion (also for a node created meanwhile: a page that loaded it in
 *   between must drop it; one that never had it ignores the deletion).
 * The changes merged away are counted as `dropped`. Past MAX_PENDING paths the queue gives up
 * on details: it forgets them and tells the page to reload what it shows. So a slow page
 * costs bounded memory, whatever the rate of changes.
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
    const byPath = new Map<
      string,
      { existed: boolean; deletion: TreeChange | null; last: TreeChange }
    >();
    for (const change of this.changes) {
      const seen = byPath.get(change.path);
      const deletion = change.kind === 'deleted' ? change : null;
      if (seen === undefined) {
        byPath.set(change.path, { existed: change.kind !== 'created', deletion, last: change });
      } else {
        seen.deletion = deletion ?? seen.deletion;
        seen.last = change;
      }
    }
    const kept: TreeChange[] = [];
    for (const { existed, deletion, last } of byPath.values()) {
      if (last.kind === 'deleted') kept.push(last);
      else if (deletion !== null) kept.push(deletion, { ...last, kind: 'created' });
      else kept.push({ ...last, kind: existed ? 'changed' : 'created' });
    }
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

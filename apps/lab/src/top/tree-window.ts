/**
 * The selection and the window of rows a terminal of `height` rows shows. The selection is a
 * path, not an index, so rows coming and going above it (200 changes a second) do not move
 * it; when its node leaves the rows, the row now at its old place is selected.
 */
import type { TreeRow } from './znode-tree';

export interface VisibleWindow {
  /** Index of the first row shown. */
  offset: number;
  rows: readonly TreeRow[];
  /** Index of the selected row within `rows`, or -1. */
  selected: number;
}

export class TreeWindow {
  private selectedPath: string | null = null;
  private lastIndex = 0;
  private offset = 0;

  get selection(): string | null {
    return this.selectedPath;
  }

  select(path: string): void {
    this.selectedPath = path;
  }

  /** Moves the selection by `delta` rows (negative: up), clamped to the rows. */
  move(rows: readonly TreeRow[], delta: number): void {
    if (rows.length === 0) return;
    const at = this.indexIn(rows);
    const next = Math.max(0, Math.min(rows.length - 1, at + delta));
    this.selectedPath = (rows[next] as TreeRow).entry.path;
    this.lastIndex = next;
  }

  /** The rows to draw in `height` lines, scrolled so that the selection is among them. */
  window(rows: readonly TreeRow[], height: number): VisibleWindow {
    if (rows.length === 0 || height <= 0) return { offset: 0, rows: [], selected: -1 };
    const at = this.indexIn(rows);
    this.selectedPath = (rows[at] as TreeRow).entry.path;
    this.lastIndex = at;
    if (at < this.offset) this.offset = at;
    if (at >= this.offset + height) this.offset = at - height + 1;
    this.offset = Math.max(0, Math.min(this.offset, rows.length - height));
    return {
      offset: this.offset,
      rows: rows.slice(this.offset, this.offset + height),
      selected: at - this.offset,
    };
  }

  /** Where the selection is in `rows`: its path, else its last place (clamped). */
  private indexIn(rows: readonly TreeRow[]): number {
    if (this.selectedPath !== null) {
      // Most moves are near the last place: look there first.
      const near = rows[this.lastIndex];
      if (near?.entry.path === this.selectedPath) return this.lastIndex;
      const found = rows.findIndex((row) => row.entry.path === this.selectedPath);
      if (found >= 0) return found;
    }
    return Math.max(0, Math.min(rows.length - 1, this.lastIndex));
  }
}

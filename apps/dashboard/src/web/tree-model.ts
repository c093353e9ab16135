/**
 * The tree panel's state: what is loaded of the znode tree under the root, what is expanded,
 * and which rows flash. Plain data, mutated in place by whole batches (the page applies the
 * batches that arrived once per animation frame) and flattened into rows only when it moved,
 * so a node with 100,000 children costs one pass per frame, not one per change.
 *
 * Children come in pages (`/api/children`), sorted by name: a partly loaded list holds the
 * first `names.length` of `total`, and a created child that sorts past its end is only
 * counted (the next page brings it).
 */
import type { ChildrenPage, NodeSummary, TreeBatch } from '../protocol';
import { childPath, baseName, parentPath } from './paths';

/** How long a row flashes; a deleted row stays that long (in red) before it goes. */
export const FLASH_MS = 1000;

/**
 * `replaced`: deleted and created again while its deleted row was still shown (a restarted
 * worker's registration: gone with the old session, back with a new one). Shown as one row
 * that flashes red to green, with the old owner beside the new.
 */
export type FlashKind = 'created' | 'changed' | 'deleted' | 'replaced';

export interface Flash {
  kind: FlashKind;
  at: number;
  /** For `replaced`: the owner session of the node that was deleted (null: not ephemeral). */
  was?: string | null;
}

export interface ChildList {
  names: string[];
  total: number;
}

export type TreeRow =
  | {
      kind: 'node';
      path: string;
      depth: number;
      node: NodeSummary | null;
      /** Children as far as known: the loaded list's total, else the node's stat. */
      childCount: number | null;
      expanded: boolean;
      flash: Flash | null;
      /** Deleted, shown until its red flash fades. */
      gone: boolean;
    }
  | { kind: 'more'; path: string; depth: number; loaded: number; total: number };

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The index at which `name` belongs in the sorted `names`. */
function insertionIndex(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byName(names[mid] as string, name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TreeModel {
  readonly nodes = new Map<string, NodeSummary>();
  readonly lists = new Map<string, ChildList>();
  readonly expanded = new Set<string>();
  readonly flashes = new Map<string, Flash>();
  /** Deleted paths still shown, and when they were deleted. */
  readonly gone = new Map<string, number>();
  /** Bumped on every change that alters the rows. */
  version = 0;
  private cachedRows: TreeRow[] | null = null;
  private cachedAt = -1;

  constructor(readonly root: string) {
    this.expanded.add(root);
  }

  /** Forgets everything loaded (a reload); keeps what is expanded so it can be loaded again. */
  reset(): void {
    this.nodes.clear();
    this.lists.clear();
    this.flashes.clear();
    this.gone.clear();
    this.touch();
  }

  /** Merges a page of children. Page 0 replaces the list; later pages extend it. */
  addPage(page: ChildrenPage): void {
    const names = page.children.map((child) => child.name);
    for (const child of page.children) this.nodes.set(child.path, child);
    const list = this.lists.get(page.path);
    if (page.offset === 0 || list === undefined) {
      this.lists.set(page.path, { names, total: page.total });
    } else {
      // Changes may have shifted the server's list since the last page: add only what is new
      // and sorts after what is loaded, so the list stays sorted and without duplicates.
      const known = new Set(list.names);
      const last = list.names[list.names.length - 1];
      for (const name of names) {
        if (!known.has(name) && (last === undefined || byName(name, last) > 0))
          list.names.push(name);
      }
      list.total = Math.max(page.total, list.names.length);
    }
    this.touch();
  }

  setNode(node: NodeSummary): void {
    this.nodes.set(node.path, node);
    this.touch();
  }

  isLoaded(path: string): boolean {
    return this.lists.has(path);
  }

  hasMore(path: string): boolean {
    const list = this.lists.get(path);
    return list !== undefined && list.names.length < list.total;
  }

  expand(path: string): void {
    this.expanded.add(path);
    this.touch();
  }

  collapse(path: string): void {
    this.expanded.delete(path);
    this.touch();
  }

  /** Applies one server batch; returns whether anything shown changed. */
  applyBatch(batch: TreeBatch, now: number): boolean {
    let moved = false;
    for (const change of batch.changes) {
      const { path } = change;
      if (path !== this.root && !path.startsWith(this.root === '/' ? '/' : `${this.root}/`))
        continue;
      const list = this.lists.get(parentPath(path));
      // Only what the page has loaded is kept: a change under a folded, never-opened parent
      // (say, every new result under /results) would otherwise pile up here for good.
      const shown = list !== undefined || path === this.root;
      switch (change.kind) {
        case 'created': {
          if (!shown) break;
          // Deleted a moment ago and still shown: the same row, replaced.
          const replaced = this.gone.delete(path);
          const was = this.nodes.get(path)?.owner ?? null;
          if (change.node !== null) this.nodes.set(path, change.node);
          if (list !== undefined) {
            const name = baseName(path);
            const at = insertionIndex(list.names, name);
            if (list.names[at] !== name) {
              const complete = list.names.length >= list.total;
              if (complete || at < list.names.length) list.names.splice(at, 0, name);
              list.total++;
            }
          }
          this.flashes.set(
            path,
            replaced ? { kind: 'replaced', at: now, was } : { kind: 'created', at: now },
          );
          moved = true;
          break;
        }
        case 'changed':
          if (!shown) break;
          if (change.node !== null) this.nodes.set(path, change.node);
          this.flashes.set(path, { kind: 'changed', at: now });
          moved = true;
          break;
        case 'deleted':
          if (shown) {
            this.gone.set(path, now);
            this.flashes.set(path, { kind: 'deleted', at: now });
            moved = true;
          }
          break;
      }
    }
    if (moved) this.touch();
    return moved;
  }

  /**
   * Drops flashes that have faded and deleted rows whose red flash is over. Returns whether
   * rows changed (the page calls it about once a frame while anything flashes).
   */
  sweep(now: number): boolean {
    let moved = false;
    for (const [path, flash] of this.flashes) {
      if (now - flash.at >= FLASH_MS) {
        this.flashes.delete(path);
        moved = true;
      }
    }
    for (const [path, at] of this.gone) {
      if (now - at < FLASH_MS) continue;
      this.gone.delete(path);
      this.forget(path);
      moved = true;
    }
    if (moved) this.touch();
    return moved;
  }

  /** Whether anything is still flashing (so the page keeps sweeping). */
  busy(): boolean {
    return this.flashes.size > 0 || this.gone.size > 0;
  }

  /** The visible rows, depth first; recomputed only after a change. */
  rows(): TreeRow[] {
    if (this.cachedRows !== null && this.cachedAt === this.version) return this.cachedRows;
    const rows: TreeRow[] = [];
    const visit = (path: string, depth: number): void => {
      const node = this.nodes.get(path) ?? null;
      const list = this.lists.get(path);
      const expanded = this.expanded.has(path);
      rows.push({
        kind: 'node',
        path,
        depth,
        node,
        childCount: list?.total ?? node?.numChildren ?? null,
        expanded,
        flash: this.flashes.get(path) ?? null,
        gone: this.gone.has(path),
      });
      if (!expanded || list === undefined) return;
      for (const name of list.names) visit(childPath(path, name), depth + 1);
      if (list.names.length < list.total) {
        rows.push({
          kind: 'more',
          path,
          depth: depth + 1,
          loaded: list.names.length,
          total: list.total,
        });
      }
    };
    visit(this.root, 0);
    this.cachedRows = rows;
    this.cachedAt = this.version;
    return rows;
  }

  private touch(): void {
    this.version++;
  }

  /** Removes a deleted node, and all that was loaded under it, from the model. */
  private forget(path: string): void {
    const parentList = this.lists.get(parentPath(path));
    if (parentList !== undefined) {
      const name = baseName(path);
      const at = insertionIndex(parentList.names, name);
      if (parentList.names[at] === name) parentList.names.splice(at, 1);
      parentList.total = Math.max(parentList.names.length, parentList.total - 1);
    }
    this.nodes.delete(path);
    this.expanded.delete(path);
    // Only a node whose children were loaded has anything below it in the model.
    if (!this.lists.has(path)) return;
    const below = `${path}/`;
    for (const map of [this.nodes, this.lists]) {
      for (const key of map.keys()) if (key === path || key.startsWith(below)) map.delete(key);
    }
    for (const key of this.expanded)
      if (key === path || key.startsWith(below)) this.expanded.delete(key);
  }
}

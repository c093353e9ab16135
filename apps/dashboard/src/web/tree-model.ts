/**
 * The tree panel's state: what is loaded of the znode tree under the root, what is expanded,
 * and which rows flash. Plain data, mutated in place by whole batches (the page applies the
 * batches that arrived once per animation frame) and flattened into rows only when it moved,
 * so a node with 100,000 children costs one pass per frame, not one per change.
 *
 * Children come in pages (`/api/children`), sorted by name: a partly loaded list holds the
 * first of its `total` children, and a created child that sorts past its end is only
 * counted (the next page brings it).
 *
 * Pages and the stream are ordered by the server's sequence numbers: a list is as of the
 * `seq` of the page that made it, and takes only the changes numbered after it, so a change
 * is applied once whether it arrives before or after the page that already holds it. While
 * a list's first page is on its way the changes under it wait (`startLoad`), and the page
 * replays those newer than itself. `reset` starts a new generation: answers to requests of
 * the one before are refused.
 *
 * A later page (from an offset) is as of its own number, not the list's: a row it brings
 * keeps that number, so an older change of that node is not applied over it; and a later
 * page older than a change the list took past its end (only counted: which page holds
 * that child is not known) is refused, to be asked for again (`PageAnswer`).
 */
import type { ChildrenPage, NodeSummary, TreeBatch, TreeChange } from '../protocol';
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
  /** Live children on the server, as far as the page knows (deleted rows still shown are not). */
  total: number;
  /** The server's sequence number the list is as of: changes up to it are in it already. */
  seq: number;
  /** Names in `names` that are deleted rows still shown. */
  gone: number;
  /** The number of the last change taken past the end of the loaded names (only counted). */
  pastEnd: number;
}

/** What became of a page: merged, refused (from before a reset), or to be asked again. */
export type PageAnswer = 'added' | 'refused' | 'older';

/** A page request on its way (see `startLoad`). */
export interface PageTicket {
  readonly path: string;
  readonly offset: number;
  readonly generation: number;
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
  /** Bumped by `reset`: a page asked for before it is refused. */
  private generation = 0;
  /** Lists whose first page is on its way, with the changes that touch them meanwhile. */
  private readonly waiting = new Map<string, TreeChange[]>();
  /** The sequence number each loaded row is as of (its page's, or its last change's). */
  private readonly seqs = new Map<string, number>();
  private cachedRows: TreeRow[] | null = null;
  private cachedAt = -1;

  constructor(readonly root: string) {
    this.expanded.add(root);
  }

  /** Forgets everything loaded (a reload); keeps what is expanded so it can be loaded again. */
  reset(): void {
    this.generation++;
    this.nodes.clear();
    this.lists.clear();
    this.waiting.clear();
    this.seqs.clear();
    this.flashes.clear();
    this.gone.clear();
    this.touch();
  }

  /**
   * A page of `path`'s children is about to be asked for. For its first page, the changes
   * under `path` are held from now on until the page lands (`addPage`) or fails (`failLoad`).
   */
  startLoad(path: string, offset: number): PageTicket {
    if (offset === 0 && !this.waiting.has(path)) this.waiting.set(path, []);
    return { path, offset, generation: this.generation };
  }

  /**
   * The request of `ticket` failed: what waited for it goes to the list it had (a list not
   * loaded keeps nothing).
   */
  failLoad(ticket: PageTicket, now = 0): void {
    if (ticket.generation !== this.generation || ticket.offset !== 0) return;
    const waited = this.waiting.get(ticket.path) ?? [];
    this.waiting.delete(ticket.path);
    let moved = false;
    for (const change of waited) if (this.applyChange(change, now)) moved = true;
    if (moved) this.touch();
  }

  /**
   * Merges a page of children. The first page makes the list, then replays what waited for
   * it and is newer than the page; later pages extend it. Refused when it answers a request
   * from before a `reset`; `older` when it is a later page older than a change the list
   * took past its end (ask for it again; `force` merges it anyway).
   */
  addPage(page: ChildrenPage, ticket?: PageTicket, now = 0, force = false): PageAnswer {
    if (ticket !== undefined && ticket.generation !== this.generation) return 'refused';
    const names = page.children.map((child) => child.name);
    const list = this.lists.get(page.path);
    if (page.offset === 0 || list === undefined) {
      // A list loaded again: its deleted rows go with the old list.
      for (const name of list?.names ?? []) this.gone.delete(childPath(page.path, name));
      for (const child of page.children) this.setRow(child, page.seq);
      const fresh = { names, total: page.total, seq: page.seq, gone: 0, pastEnd: page.seq };
      this.lists.set(page.path, fresh);
      const waited = this.waiting.get(page.path) ?? [];
      this.waiting.delete(page.path);
      for (const change of waited) this.applyChange(change, now);
    } else {
      if (page.seq < list.pastEnd && !force) return 'older';
      // Changes may have shifted the server's list since the last page: add only what is new
      // and sorts after what is loaded, so the list stays sorted and without duplicates.
      const known = new Set(list.names);
      const last = list.names[list.names.length - 1];
      for (const child of page.children) {
        if (!known.has(child.name) && (last === undefined || byName(child.name, last) > 0)) {
          list.names.push(child.name);
          this.setRow(child, page.seq);
        } else if (known.has(child.name) && !this.gone.has(child.path)) {
          this.setRow(child, page.seq);
        }
      }
      list.total = Math.max(page.total, list.names.length - list.gone);
    }
    this.touch();
    return 'added';
  }

  /** A row's node as of `seq`, unless the model has a newer one. */
  private setRow(node: NodeSummary, seq: number): boolean {
    if ((this.seqs.get(node.path) ?? -1) > seq) return false;
    this.nodes.set(node.path, node);
    this.seqs.set(node.path, seq);
    return true;
  }

  setNode(node: NodeSummary): void {
    this.nodes.set(node.path, node);
    this.touch();
  }

  isLoaded(path: string): boolean {
    return this.lists.has(path);
  }

  /** Live children loaded of `path` (the offset of its next page). */
  loadedCount(path: string): number {
    const list = this.lists.get(path);
    return list === undefined ? 0 : list.names.length - list.gone;
  }

  hasMore(path: string): boolean {
    const list = this.lists.get(path);
    return list !== undefined && list.names.length - list.gone < list.total;
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
    for (const change of batch.changes) if (this.applyChange(change, now)) moved = true;
    if (moved) this.touch();
    return moved;
  }

  private applyChange(change: TreeChange, now: number): boolean {
    const { path } = change;
    if (path !== this.root && !path.startsWith(this.root === '/' ? '/' : `${this.root}/`))
      return false;
    let moved = false;
    if (change.kind === 'children') moved = this.countChildren(change);
    if (path === this.root) {
      if (change.node !== null) this.nodes.set(path, change.node);
      if (change.kind !== 'children') this.flashes.set(path, { kind: change.kind, at: now });
      return true;
    }
    const parent = parentPath(path);
    const waiting = this.waiting.get(parent);
    if (waiting !== undefined) {
      waiting.push(change);
      return moved;
    }
    const list = this.lists.get(parent);
    // Only what the page has loaded is kept: a change under a folded, never-opened parent
    // (say, every new result under /results) would otherwise pile up here for good.
    // A change the list's page already held is not applied again.
    if (list === undefined || change.seq <= list.seq) return moved;
    // Its row is as of a later page already.
    if (change.seq <= (this.seqs.get(path) ?? -1)) return moved;
    const name = baseName(path);
    const at = insertionIndex(list.names, name);
    const listed = list.names[at] === name;
    const live = listed && !this.gone.has(path);
    const pastEnd = at >= list.names.length && list.names.length - list.gone < list.total;
    switch (change.kind) {
      case 'created': {
        if (listed && !live) {
          // Deleted a moment ago and still shown: the same row, replaced.
          const was = this.nodes.get(path)?.owner ?? null;
          this.gone.delete(path);
          list.gone--;
          list.total++;
          this.flashes.set(path, { kind: 'replaced', at: now, was });
        } else if (!listed) {
          list.total++;
          if (pastEnd) {
            list.pastEnd = change.seq; // only counted: the next page brings it
            return true;
          }
          list.names.splice(at, 0, name);
          this.flashes.set(path, { kind: 'created', at: now });
        } else {
          this.flashes.set(path, { kind: 'created', at: now });
        }
        if (change.node !== null) this.setRow(change.node, change.seq);
        return true;
      }
      case 'changed':
        if (!live) return moved;
        if (change.node !== null) this.setRow(change.node, change.seq);
        this.flashes.set(path, { kind: 'changed', at: now });
        return true;
      case 'children':
        if (!live || change.node === null) return moved;
        this.setRow(change.node, change.seq);
        return true;
      case 'deleted':
        if (live) {
          this.seqs.set(path, change.seq);
          this.gone.set(path, now);
          list.gone++;
          list.total--;
          this.flashes.set(path, { kind: 'deleted', at: now });
          return true;
        }
        // Past the end of a partial list: only counted. Else the list never had it.
        if (!listed && pastEnd) {
          list.total--;
          list.pastEnd = change.seq;
          return true;
        }
        return moved;
    }
  }

  /** A `children` row: the node's own list takes its count, when newer than the list. */
  private countChildren(change: TreeChange): boolean {
    const waiting = this.waiting.get(change.path);
    if (waiting !== undefined) {
      waiting.push(change);
      return false;
    }
    const own = this.lists.get(change.path);
    if (own === undefined || change.node === null || change.seq <= own.seq) return false;
    own.total = change.node.numChildren;
    return true;
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
      const loaded = list.names.length - list.gone;
      if (loaded < list.total) {
        rows.push({ kind: 'more', path, depth: depth + 1, loaded, total: list.total });
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
      if (parentList.names[at] === name) {
        parentList.names.splice(at, 1);
        parentList.gone--; // counted out of `total` when it was deleted
      }
    }
    this.nodes.delete(path);
    this.seqs.delete(path);
    this.expanded.delete(path);
    this.waiting.delete(path);
    this.forgetBelow(path);
    this.lists.delete(path);
  }

  /** Forgets what was loaded below `path` (its list's children and their lists). */
  private forgetBelow(path: string): void {
    const list = this.lists.get(path);
    if (list === undefined) return;
    const below = path === '/' ? '/' : `${path}/`;
    for (const map of [this.nodes, this.seqs, this.lists, this.waiting, this.gone, this.flashes]) {
      for (const key of map.keys()) if (key.startsWith(below)) map.delete(key);
    }
    for (const key of this.expanded) if (key.startsWith(below)) this.expanded.delete(key);
  }
}

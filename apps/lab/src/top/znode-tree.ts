/**
 * The live view's copy of a subtree: every znode under the watched path with its Stat and a
 * short data preview, the changes flashing on their rows, the ephemeral nodes grouped by
 * their owning session, and the rows a terminal shows (expanded nodes, a filter).
 *
 * It knows nothing of ZooKeeper's connection: the mirror feeds it what the server said, in
 * the server's order (replies and watch events of one session come in that order), so the
 * last thing applied is the newest. Deleted nodes stay as ghosts while their flash lasts,
 * then go.
 */
import { baseName, childPath, parentPath, type Stat } from '@zk-lab/zk-client';

export type ChangeKind = 'created' | 'changed' | 'deleted';

export interface Flash {
  kind: ChangeKind;
  /** When the flash ends (ms, the clock the tree was given). */
  until: number;
}

export interface ZnodeEntry {
  readonly path: string;
  readonly name: string;
  stat: Stat;
  /** The first bytes of the data, printable. */
  preview: string;
  /** null: not readable (NoAuth), shown as such. */
  readable: boolean;
  readonly children: Set<string>;
  flash: Flash | null;
  /** Deleted: shown in red until its flash ends, then removed. */
  ghost: boolean;
  /** The load generation that last saw it (see `beginReload`). */
  generation: number;
}

export interface TreeRow {
  entry: ZnodeEntry;
  depth: number;
  expanded: boolean;
}

/** The kind of a znode as its Stat tells it (and its name, for sequential ones). */
export type ZnodeType = 'persistent' | 'ephemeral' | 'container' | 'ttl';

const CONTAINER_OWNER = -(2n ** 63n);
const TTL_MASK = 0xffn << 56n;

export function znodeType(stat: Stat): ZnodeType {
  const owner = stat.ephemeralOwner;
  if (owner === 0n) return 'persistent';
  if (owner === CONTAINER_OWNER) return 'container';
  // Extended types: a TTL node's owner is 0xFF in its top byte, the TTL below.
  if ((BigInt.asUintN(64, owner) & TTL_MASK) === TTL_MASK) return 'ttl';
  return 'ephemeral';
}

/** The session that owns an ephemeral node, else null. */
export function ownerSession(stat: Stat): bigint | null {
  return znodeType(stat) === 'ephemeral' ? stat.ephemeralOwner : null;
}

// A session id as the rest of the lab prints it.
export { sessionHex } from '@zk-lab/lab-core';

/** A name ending in ten digits: made with a sequential mode (a guess: the Stat cannot tell). */
export function looksSequential(name: string): boolean {
  return /\d{10}$/.test(name);
}

const PREVIEW_BYTES = 64;
const TOMBSTONE_MS = 120_000;

/** Names in the order people read them: p2 before p10. */
const byName = new Intl.Collator('en', { numeric: true });

/** The start of `data` as one printable line. */
export function previewOf(data: Buffer): string {
  const head = data.subarray(0, PREVIEW_BYTES).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const line = head.replace(/[\u0000-\u001f\u007f\ufffd]+/g, ' ').trim();
  return data.length > PREVIEW_BYTES ? `${line}…` : line;
}

export interface ZnodeTreeOptions {
  /** The watched path: the top row. */
  root: string;
  /** How long a change flashes (ms). */
  flashMs?: number;
  /** The clock (ms). */
  now?: () => number;
  /** The preview of a node's data (default `previewOf`). */
  preview?: (data: Buffer) => string;
  /**
   * Told when a node comes to be (`live` true) or stops being (false) a live child of
   * `parent`, for an index kept beside the tree (the dashboard's sorted children).
   */
  childrenChanged?: (parent: string, name: string, live: boolean) => void;
}

/** What a change did, for the event log. */
export interface AppliedChange {
  kind: ChangeKind;
  path: string;
  /** The owning session of an ephemeral node; null for the others (ZooKeeper does not say who). */
  session: bigint | null;
}

export class ZnodeTree {
  readonly root: string;
  private readonly nodes = new Map<string, ZnodeEntry>();
  private readonly expanded = new Set<string>();
  private readonly ephemeralsBySession = new Map<bigint, Set<string>>();
  private readonly flashMs: number;
  private readonly now: () => number;
  private readonly previewText: (data: Buffer) => string;
  private readonly childrenChanged: ZnodeTreeOptions['childrenChanged'];
  private generation = 0;
  private liveCount = 0;
  private filterText = '';
  private rowsCache: TreeRow[] | null = null;
  /** Counts deletions: a read is stamped with it when sent (see `readStarted`). */
  private deletions = 0;
  /** Where deletions were seen, with their count and time, so late reads cannot undo them. */
  private readonly tombstones = new Map<string, { deletion: number; at: number }>();
  private flashing = new Set<string>();

  constructor(options: ZnodeTreeOptions) {
    this.root = options.root;
    this.flashMs = options.flashMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.previewText = options.preview ?? previewOf;
    this.childrenChanged = options.childrenChanged;
    this.expanded.add(this.root);
  }

  /** Live nodes (ghosts not counted). */
  get size(): number {
    return this.liveCount;
  }

  get(path: string): ZnodeEntry | undefined {
    return this.nodes.get(path);
  }

  /**
   * The stamp of a read about to be sent. The client calls watch listeners at once but
   * resumes an awaited reply a little later, so a deletion that the server sent after a
   * reply can be applied before that reply: `upsert` then drops the reply, which the
   * deletion made stale.
   */
  readStarted(): number {
    return this.deletions;
  }

  /**
   * A node as a read found it. `change` says whether this is news to flash (a watch event)
   * or a load (no flash); `readAt` is the read's stamp (`readStarted`). Returns what
   * changed, or null when nothing did.
   */
  upsert(
    path: string,
    stat: Stat,
    data: Buffer | null,
    change: boolean,
    readAt = this.deletions,
  ): AppliedChange | null {
    if (path !== this.root && !path.startsWith(this.root === '/' ? '/' : `${this.root}/`)) {
      return null;
    }
    const tombstone = this.tombstones.get(path);
    if (tombstone !== undefined && tombstone.deletion > readAt) return null;
    let entry = this.nodes.get(path);
    const known = entry !== undefined && !entry.ghost;
    if (entry !== undefined && entry.stat.czxid === stat.czxid && entry.stat.mzxid > stat.mzxid) {
      entry.generation = this.generation;
      return null; // an older read of the same node
    }
    const same = known && entry !== undefined && entry.stat.mzxid === stat.mzxid;
    if (entry === undefined || entry.ghost || entry.stat.czxid !== stat.czxid) {
      if (entry !== undefined && !entry.ghost) this.forget(entry);
      const children = entry?.children ?? new Set<string>();
      entry = {
        path,
        name: baseName(path),
        stat,
        preview: '',
        readable: true,
        children,
        flash: null,
        ghost: false,
        generation: this.generation,
      };
      this.nodes.set(path, entry);
      this.liveCount += 1;
      this.link(path);
      this.rowsCache = null;
      if (!known && path !== this.root) this.childrenChanged?.(parentPath(path), entry.name, true);
    }
    entry.stat = stat;
    entry.generation = this.generation;
    entry.readable = data !== null;
    entry.preview = data === null ? '' : this.previewText(data);
    const owner = ownerSession(stat);
    if (owner !== null) this.sessionSet(owner).add(path);
    if (!change || same) return null;
    const kind: ChangeKind = known ? 'changed' : 'created';
    this.flash(entry, kind);
    return { kind, path, session: owner };
  }

  /** A node that is no longer there. Returns what changed, or null when it was not known. */
  delete(path: string, change = true): AppliedChange | null {
    this.deletions += 1;
    this.tombstones.delete(path); // re-inserted: the map stays in time order
    this.tombstones.set(path, { deletion: this.deletions, at: this.now() });
    const entry = this.nodes.get(path);
    if (entry === undefined || entry.ghost) return null;
    const session = ownerSession(entry.stat);
    this.forget(entry);
    if (path !== this.root) this.childrenChanged?.(parentPath(path), entry.name, false);
    if (change) {
      entry.ghost = true;
      this.flash(entry, 'deleted');
    } else {
      this.remove(entry);
    }
    return { kind: 'deleted', path, session };
  }

  /**
   * A reload starts (after a reconnect or a new session): the nodes the reload and the
   * events meanwhile do not see again are gone, and `endReload` deletes them.
   */
  beginReload(): void {
    this.generation += 1;
  }

  /** Deletes (with a flash) every node the reload did not see; returns them. */
  endReload(): AppliedChange[] {
    const gone: AppliedChange[] = [];
    for (const entry of [...this.nodes.values()]) {
      if (entry.ghost || entry.generation === this.generation) continue;
      const change = this.delete(entry.path, true);
      if (change !== null) gone.push(change);
    }
    return gone;
  }

  /** Ends the flashes that are over and removes the ghosts whose flash ended. */
  expireFlashes(): boolean {
    const now = this.now();
    let expired = false;
    // A read older than this has failed long ago (the client gives up within a session).
    for (const [path, { at }] of this.tombstones) {
      if (now - at < TOMBSTONE_MS) break;
      this.tombstones.delete(path);
    }
    for (const path of this.flashing) {
      const entry = this.nodes.get(path);
      if (entry?.flash == null) {
        this.flashing.delete(path);
        continue;
      }
      if (entry.flash.until > now) continue;
      expired = true;
      entry.flash = null;
      this.flashing.delete(path);
      if (entry.ghost) this.remove(entry);
    }
    return expired;
  }

  /** The ephemeral nodes of each session, sessions by id. */
  sessions(): { session: bigint; paths: string[] }[] {
    return [...this.ephemeralsBySession.entries()]
      .map(([session, paths]) => ({ session, paths: [...paths].sort() }))
      .sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : 0));
  }

  isExpanded(path: string): boolean {
    return this.expanded.has(path);
  }

  expand(path: string): void {
    if (!this.expanded.has(path)) {
      this.expanded.add(path);
      this.rowsCache = null;
    }
  }

  collapse(path: string): void {
    if (this.expanded.delete(path)) this.rowsCache = null;
  }

  /** Expands every ancestor of `path` (under the root), so its row is shown. */
  reveal(path: string): void {
    for (let p = parentPath(path); ; p = parentPath(p)) {
      if (!this.nodes.has(p)) break;
      this.expand(p);
      if (p === this.root || p === '/') break;
    }
  }

  get filter(): string {
    return this.filterText;
  }

  /** Shows only the nodes whose path contains `text` (any case), with their ancestors. */
  setFilter(text: string): void {
    if (text === this.filterText) return;
    this.filterText = text;
    this.rowsCache = null;
  }

  /**
   * The rows a terminal shows, top to bottom: the root, then the children of every expanded
   * node, by name. With a filter, the matching nodes and their ancestors, all opened.
   */
  rows(): readonly TreeRow[] {
    if (this.rowsCache !== null) return this.rowsCache;
    const rows: TreeRow[] = [];
    const top = this.nodes.get(this.root);
    if (top !== undefined) {
      const needle = this.filterText.toLowerCase();
      const keep = needle === '' ? null : this.matching(needle);
      const visit = (entry: ZnodeEntry, depth: number) => {
        if (keep !== null && !keep.has(entry.path)) return;
        const open = keep !== null || this.expanded.has(entry.path);
        rows.push({ entry, depth, expanded: open && entry.children.size > 0 });
        if (!open) return;
        for (const name of [...entry.children].sort(byName.compare)) {
          const child = this.nodes.get(childPath(entry.path, name));
          if (child !== undefined) visit(child, depth + 1);
        }
      };
      visit(top, 0);
    }
    this.rowsCache = rows;
    return rows;
  }

  /** The paths that match `needle`, and their ancestors. */
  private matching(needle: string): Set<string> {
    const keep = new Set<string>();
    for (const path of this.nodes.keys()) {
      if (!path.toLowerCase().includes(needle)) continue;
      for (let p = path; !keep.has(p); p = parentPath(p)) {
        keep.add(p);
        if (p === this.root || p === '/') break;
      }
    }
    return keep;
  }

  private flash(entry: ZnodeEntry, kind: ChangeKind): void {
    entry.flash = { kind, until: this.now() + this.flashMs };
    this.flashing.add(entry.path);
  }

  private sessionSet(session: bigint): Set<string> {
    let paths = this.ephemeralsBySession.get(session);
    if (paths === undefined) {
      paths = new Set();
      this.ephemeralsBySession.set(session, paths);
    }
    return paths;
  }

  /** Takes a live node out of the counts and the session index (its row may stay as a ghost). */
  private forget(entry: ZnodeEntry): void {
    this.liveCount -= 1;
    const owner = ownerSession(entry.stat);
    if (owner === null) return;
    const paths = this.ephemeralsBySession.get(owner);
    paths?.delete(entry.path);
    if (paths?.size === 0) this.ephemeralsBySession.delete(owner);
  }

  private remove(entry: ZnodeEntry): void {
    if (this.nodes.get(entry.path) !== entry) return;
    this.nodes.delete(entry.path);
    this.flashing.delete(entry.path);
    if (entry.path !== this.root)
      this.nodes.get(parentPath(entry.path))?.children.delete(entry.name);
    this.rowsCache = null;
  }

  private link(path: string): void {
    if (path === this.root) return;
    this.nodes.get(parentPath(path))?.children.add(baseName(path));
  }
}

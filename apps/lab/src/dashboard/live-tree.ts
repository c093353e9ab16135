/**
 * The dashboard's copy of the root's subtree: lab top's ZnodeTree kept current by its
 * SubtreeMirror (one persistent recursive watch, multiRead loads, a new read after a
 * reconnect or a new session), served as pages of children and as a stream of changes.
 *
 * Children are served sorted by name (code-point order) from an index kept beside the tree: built the first
 * time a parent is listed, then kept sorted as children come and go (a binary search and
 * one splice each), so a parent with 100,000 children costs one sort, not one per page.
 */
import type { ChildrenPage, NodeSummary, TreeChange } from '@zk-lab/dashboard';
import { childPath, type ZkClient } from '@zk-lab/zk-client';
import { SubtreeMirror } from '../top/subtree-mirror';
import { type ZnodeEntry, ZnodeTree } from '../top/znode-tree';
import { dataPreview, nodeSummary } from './znode-views';

export interface TreeListener {
  /** A change ZooKeeper reported, with its sequence number (see `seq`). */
  change(change: TreeChange): void;
  /** The subtree was read again (after a reconnect or a new session): pages reload it. */
  reloaded(): void;
  /**
   * `parent` gained or lost a child: its row's count changed, though ZooKeeper sends no event
   * for the parent itself (a recursive watch reports the child only).
   */
  counted(parent: string): void;
}

/**
 * Children are in code-point order of their names (plain string comparison): the page keeps
 * its loaded pages in that same order and puts a created child where this order says, so both
 * must sort alike. Sequential names (ten digits) come in their number's order either way.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where `name` is, or would go, in `names` sorted by compareNames. */
function lowerBound(names: readonly string[], name: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareNames(names[mid] as string, name) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Deleted nodes stay in the tree as ghosts this long (lab top's flash); then they go. */
const GHOST_MS = 1_000;

export class LiveTree {
  private readonly tree: ZnodeTree;
  private readonly mirror: SubtreeMirror;
  /** Each listed parent's live children, sorted; `czxid` tells a recreated parent apart. */
  private readonly sorted = new Map<string, { czxid: bigint; names: string[] }>();
  /** Live children per parent, kept by the tree's hook: the Stat's count goes stale, as a
   * recursive watch tells of a child's creation but not of its parent's new Stat. */
  private readonly childCounts = new Map<string, number>();
  private readonly listeners = new Set<TreeListener>();
  private changes = 0;
  private loads = 0;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    client: ZkClient,
    readonly root: string,
    private readonly log: (line: string) => void,
    private readonly reloadedNote: (nodes: number) => void = () => undefined,
  ) {
    this.tree = new ZnodeTree({
      root,
      flashMs: GHOST_MS,
      preview: dataPreview,
      childrenChanged: (parent, name, live) => this.childChanged(parent, name, live),
    });
    this.mirror = new SubtreeMirror(client, this.tree, {
      arrived: () => undefined,
      settled: (change) => {
        if (change === null) return;
        const entry = change.kind === 'deleted' ? undefined : this.tree.get(change.path);
        this.changes += 1;
        const seq = this.changes;
        const node = entry === undefined || entry.ghost ? null : this.summary(entry);
        this.tell((listener) =>
          listener.change({ path: change.path, kind: change.kind, seq, node }),
        );
      },
      note: (text) => this.log(`dashboard tree: ${text}`),
      loaded: () => {
        this.loads += 1;
        if (this.loads === 1) return; // the first load, before anyone listens
        this.reloadedNote(this.tree.size);
        this.tell((listener) => listener.reloaded());
      },
    });
  }

  /**
   * The number of the last change applied: each change the tree applies (and sends to its
   * listeners) takes the next one, and a page of children is as of the number it carries.
   */
  get seq(): number {
    return this.changes;
  }

  /** Watches and reads the subtree; resolves when the first read is done. */
  async start(): Promise<void> {
    await this.mirror.start();
    this.sweeper = setInterval(() => this.tree.expireFlashes(), GHOST_MS);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.listeners.clear();
    await this.mirror.stop();
  }

  get size(): number {
    return this.tree.size;
  }

  subscribe(listener: TreeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The live node at `path` under the root, else undefined. */
  get(path: string): ZnodeEntry | undefined {
    const entry = this.tree.get(path);
    return entry === undefined || entry.ghost ? undefined : entry;
  }

  /** Children of `path` by name from `offset`; null when the tree holds no such node. */
  children(path: string, offset: number, limit: number): ChildrenPage | null {
    const parent = this.get(path);
    if (parent === undefined) return null;
    const names = this.sortedNames(parent);
    const children = [];
    for (const name of names.slice(offset, offset + limit)) {
      const child = this.get(childPath(path, name));
      if (child !== undefined) children.push(this.summary(child));
    }
    return { path, seq: this.changes, total: names.length, offset, children };
  }

  private sortedNames(parent: ZnodeEntry): string[] {
    const cached = this.sorted.get(parent.path);
    if (cached !== undefined && cached.czxid === parent.stat.czxid) return cached.names;
    const names = [...parent.children]
      .filter((name) => this.get(childPath(parent.path, name)) !== undefined)
      .sort(compareNames);
    this.sorted.set(parent.path, { czxid: parent.stat.czxid, names });
    return names;
  }

  /** A row of the tree: the node with its live child count (its Stat's when unreadable). */
  summary(entry: ZnodeEntry): NodeSummary {
    const row = nodeSummary(entry);
    if (entry.readable) row.numChildren = this.childCounts.get(entry.path) ?? 0;
    return row;
  }

  private childChanged(parent: string, name: string, live: boolean): void {
    const count = (this.childCounts.get(parent) ?? 0) + (live ? 1 : -1);
    if (count > 0) this.childCounts.set(parent, count);
    else this.childCounts.delete(parent);
    this.tell((listener) => listener.counted(parent));
    if (!live) this.sorted.delete(childPath(parent, name));
    const cached = this.sorted.get(parent);
    if (cached === undefined) return;
    const at = lowerBound(cached.names, name);
    const there = cached.names[at] === name;
    if (live && !there) cached.names.splice(at, 0, name);
    else if (!live && there) cached.names.splice(at, 1);
  }

  /**
   * Calls every listener. This runs inside the mirror's read callbacks: a listener's throw
   * must not skip the others, nor escape as an unhandled rejection (fatal to `lab up`).
   */
  private tell(call: (listener: TreeListener) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        call(listener);
      } catch (error) {
        this.log(
          `dashboard tree: a page's listener failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}

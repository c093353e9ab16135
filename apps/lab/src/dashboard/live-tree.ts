/**
 * The dashboard's copy of the root's subtree: lab top's ZnodeTree kept current by its
 * SubtreeMirror (one persistent recursive watch, multiRead loads, a new read after a
 * reconnect or a new session), served as pages of children and as a stream of changes.
 *
 * Children are served sorted by name from an index kept beside the tree: built the first
 * time a parent is listed, then kept sorted as children come and go (a binary search and
 * one splice each), so a parent with 100,000 children costs one sort, not one per page.
 */
import type { ChildrenPage, TreeChange } from '@zk-lab/dashboard';
import { childPath, type ZkClient } from '@zk-lab/zk-client';
import { SubtreeMirror } from '../top/subtree-mirror';
import { type ZnodeEntry, ZnodeTree } from '../top/znode-tree';
import { dataPreview, nodeSummary } from './znode-views';

export interface TreeListener {
  change(change: TreeChange): void;
  /** The subtree was read again (after a reconnect or a new session): pages reload it. */
  reloaded(): void;
}

/**
 * A name's sort key: lower case, each run of digits led by its length, so that comparing keys
 * as plain strings orders p2 before p10 (and job-0000000007 by its number). Plain string
 * comparison: 100,000 names sort in about 0.15 s here, against 0.5 s through Intl.Collator.
 */
export function nameKey(name: string): string {
  return name.toLowerCase().replace(/\d+/g, (digits) => {
    const number = digits.replace(/^0+(?=\d)/, '');
    return String.fromCharCode(0x30 + Math.min(number.length, 0xff)) + number;
  });
}

function compareKeyed(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** Names as people read them (p2 before p10, any case), ties broken so no two names are equal. */
export function compareNames(a: string, b: string): number {
  return compareKeyed([nameKey(a), a], [nameKey(b), b]);
}

/** `names` sorted by compareNames, each key made once. */
export function sortNames(names: Iterable<string>): string[] {
  const keyed: [string, string][] = [];
  for (const name of names) keyed.push([nameKey(name), name]);
  return keyed.sort(compareKeyed).map(([, name]) => name);
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
  private readonly listeners = new Set<TreeListener>();
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
        this.emit({
          path: change.path,
          kind: change.kind,
          node: entry === undefined || entry.ghost ? null : nodeSummary(entry),
        });
      },
      note: (text) => this.log(`tree: ${text}`),
      loaded: () => {
        this.loads += 1;
        if (this.loads === 1) return; // the first load, before anyone listens
        this.reloadedNote(this.tree.size);
        for (const listener of this.listeners) listener.reloaded();
      },
    });
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
      if (child !== undefined) children.push(nodeSummary(child));
    }
    return { path, total: names.length, offset, children };
  }

  private sortedNames(parent: ZnodeEntry): string[] {
    const cached = this.sorted.get(parent.path);
    if (cached !== undefined && cached.czxid === parent.stat.czxid) return cached.names;
    const names = sortNames(
      [...parent.children].filter((name) => this.get(childPath(parent.path, name)) !== undefined),
    );
    this.sorted.set(parent.path, { czxid: parent.stat.czxid, names });
    return names;
  }

  private childChanged(parent: string, name: string, live: boolean): void {
    if (!live) this.sorted.delete(childPath(parent, name));
    const cached = this.sorted.get(parent);
    if (cached === undefined) return;
    const at = lowerBound(cached.names, name);
    const there = cached.names[at] === name;
    if (live && !there) cached.names.splice(at, 0, name);
    else if (!live && there) cached.names.splice(at, 1);
  }

  private emit(change: TreeChange): void {
    for (const listener of this.listeners) listener.change(change);
  }
}

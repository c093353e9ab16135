/**
 * The local copy every cache of this family keeps, and the events its changes give.
 * Family-private: the caches decide what to read and when; the mirror decides what a read
 * means (added, updated, removed, or nothing new). The changes of one update (one read of
 * a node, or one reconcile) are announced once the update is complete: a listener sees the
 * mirror whole, and nothing it does can stop an update halfway.
 */
import type { ChildData } from './events';

export type MirrorChange =
  | { type: 'added'; node: ChildData }
  | { type: 'updated'; node: ChildData; previous: ChildData }
  | { type: 'removed'; node: ChildData };

export class Mirror {
  private readonly nodes = new Map<string, ChildData>();
  /** The changes of the update under way, announced when it is complete. */
  private changes: MirrorChange[] | null = null;

  constructor(private readonly announce: (change: MirrorChange) => void) {}

  get(path: string): ChildData | undefined {
    return this.nodes.get(path);
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  /** Every node held, sorted by path. */
  entries(): ChildData[] {
    return [...this.nodes.values()].sort((a, b) => compare(a.path, b.path));
  }

  /** The names of the held children of `path`, sorted. */
  childrenOf(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    const names: string[] = [];
    for (const p of this.nodes.keys()) {
      if (p !== path && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) {
        names.push(p.slice(prefix.length));
      }
    }
    return names.sort(compare);
  }

  /**
   * A fresh read of one node: its data, or null when it is absent. Reads must come in the
   * order they were made, so each is at least as new as the one before.
   */
  observe(path: string, node: ChildData | null): void {
    this.update(() => this.see(path, node));
  }

  /**
   * A fresh read of everything the mirror covers: makes the mirror equal to it and reports
   * the difference. Removals come first (deepest first), then additions and updates in the
   * order of their last write (mzxid), a parent always before its children.
   */
  reconcile(snapshot: ReadonlyMap<string, ChildData>): void {
    this.update(() => this.match(snapshot));
  }

  /** Runs one update, then announces its changes in the order they were made. */
  private update(apply: () => void): void {
    const changes: MirrorChange[] = [];
    this.changes = changes;
    try {
      apply();
    } finally {
      this.changes = null;
    }
    for (const change of changes) this.announce(change);
  }

  private record(change: MirrorChange): void {
    this.changes?.push(change);
  }

  private see(path: string, node: ChildData | null): void {
    const held = this.nodes.get(path);
    if (node === null) {
      if (held !== undefined) this.removeSubtree(path);
      return;
    }
    if (held === undefined) {
      this.nodes.set(path, node);
      this.record({ type: 'added', node });
    } else if (node.stat.czxid !== held.stat.czxid) {
      // Not the node held: that one was deleted and the name created again meanwhile.
      if (node.stat.czxid < held.stat.czxid) return;
      this.removeSubtree(path);
      this.nodes.set(path, node);
      this.record({ type: 'added', node });
    } else if (node.stat.mzxid > held.stat.mzxid) {
      this.nodes.set(path, node);
      this.record({ type: 'updated', node, previous: held });
    } else if (node.stat.mzxid === held.stat.mzxid) {
      // Same data; the stat may say more (children counts), so keep the newer one quietly.
      this.nodes.set(path, node);
    }
  }

  private match(snapshot: ReadonlyMap<string, ChildData>): void {
    const gone = [...this.nodes.values()].filter((held) => {
      const fresh = snapshot.get(held.path);
      return fresh === undefined || fresh.stat.czxid !== held.stat.czxid;
    });
    for (const held of gone.sort(deepestFirst)) this.remove(held.path);

    const pending = new Map<string, ChildData>();
    for (const fresh of snapshot.values()) {
      const held = this.nodes.get(fresh.path);
      if (held === undefined || fresh.stat.mzxid > held.stat.mzxid) pending.set(fresh.path, fresh);
      else if (fresh.stat.mzxid === held.stat.mzxid) this.nodes.set(fresh.path, fresh);
    }
    const apply = (node: ChildData): void => {
      if (!pending.delete(node.path)) return;
      const parent = parentOf(node.path);
      const pendingParent = parent === null ? undefined : pending.get(parent);
      if (pendingParent !== undefined) apply(pendingParent);
      this.see(node.path, node);
    };
    const byLastWrite = [...pending.values()].sort((a, b) =>
      a.stat.mzxid < b.stat.mzxid ? -1 : a.stat.mzxid > b.stat.mzxid ? 1 : 0,
    );
    for (const node of byLastWrite) apply(node);
  }

  /** Removes `path` and every held node under it, deepest first. */
  private removeSubtree(path: string): void {
    const prefix = path === '/' ? '/' : `${path}/`;
    const doomed = [...this.nodes.values()].filter(
      (n) => n.path === path || n.path.startsWith(prefix),
    );
    for (const node of doomed.sort(deepestFirst)) this.remove(node.path);
  }

  private remove(path: string): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    this.nodes.delete(path);
    this.record({ type: 'removed', node });
  }
}

/** The child's path of `name` under `parent`. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

function parentOf(path: string): string | null {
  if (path === '/') return null;
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}

function deepestFirst(a: ChildData, b: ChildData): number {
  return depth(b.path) - depth(a.path) || compare(a.path, b.path);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

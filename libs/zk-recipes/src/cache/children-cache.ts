/**
 * ChildrenCache: a local copy of a znode's children and their data (not deeper), kept
 * current by one-shot watches, as Curator's PathChildrenCache and kazoo's ChildrenWatch
 * with a DataWatch per child.
 *
 * Algorithm: list the children with a watch (or watch the parent's creation while it is
 * absent); read each new child's data with a watch. A child-list notification queues a new
 * listing: names gone are `removed`, new names are read and `added` in the order they were
 * created. A child's data notification queues a read of that child (`updated`), its
 * deletion a removal. Reads run one after another, so what a child reports only goes
 * forward; a child written several times before the cache read it is reported once.
 * Membership is decided by listings only: the parent's own data is not cached. A child this
 * session may not read is left out and reported as `error`; the parent itself must be
 * readable (start() rejects otherwise).
 *
 * Connection loss:
 * - SUSPENDED: the cache keeps the children it holds, which may be stale.
 * - RECONNECTED (same session): the children are listed and read again, and what changed
 *   meanwhile is reported once per child.
 * - LOST: the cache keeps its children. On the client's new session it lists and reads
 *   everything again with new watches and reports the difference (added, updated, removed).
 */
import {
  EventType,
  NoNodeError,
  type WatchEvent,
  type ZkClient,
  validatePath,
} from '@zk-lab/zk-client';
import { CacheBase, isConnectionFailure } from './cache-base';
import type { ChildData } from './events';
import { childPath } from './mirror';

export class ChildrenCache extends CacheBase {
  constructor(client: ZkClient, path: string) {
    validatePath(path, { op: 'ChildrenCache' });
    super(client, path, 'ChildrenCache');
  }

  /** The names of the held children, sorted. */
  names(): string[] {
    return this.mirror.childrenOf(this.path);
  }

  protected override async rebuild(): Promise<void> {
    const names = await this.list();
    const snapshot = new Map<string, ChildData>();
    for (const child of await this.readChildren(names)) snapshot.set(child.path, child);
    this.mirror.reconcile(snapshot);
    this.markInitialized();
  }

  private readonly onParentWatch = (event: WatchEvent): void => {
    if (event.type === EventType.None || !this.isStarted()) return;
    this.enqueue(() => this.refreshChildren());
  };

  private readonly onChildWatch = (event: WatchEvent): void => {
    if (!this.isStarted()) return;
    if (event.type === EventType.NodeDataChanged) {
      this.enqueue(() => this.refreshChild(event.path));
    } else if (event.type === EventType.NodeDeleted) {
      this.enqueue(() => this.mirror.observe(event.path, null));
    }
  };

  /** A new listing: names gone are removed, new names read and added. */
  private async refreshChildren(): Promise<void> {
    const names = await this.list();
    const listed = new Set(names.map((name) => childPath(this.path, name)));
    for (const held of this.mirror.entries()) {
      if (!listed.has(held.path)) this.mirror.observe(held.path, null);
    }
    const fresh = await this.readChildren(
      names.filter((n) => !this.mirror.has(childPath(this.path, n))),
    );
    for (const child of fresh.sort(byCreation)) this.mirror.observe(child.path, child);
  }

  /** A held child's data changed: read it again, arming its next watch. */
  private async refreshChild(path: string): Promise<void> {
    if (!this.mirror.has(path)) return;
    try {
      const { data, stat } = await this.client.getData(path, { watch: this.onChildWatch });
      this.mirror.observe(path, { path, data, stat });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      this.mirror.observe(path, null);
    }
  }

  /** The children's names, with a watch on the list (or on the parent's creation). */
  private async list(): Promise<string[]> {
    for (;;) {
      try {
        return await this.client.getChildren(this.path, { watch: this.onParentWatch });
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      if ((await this.client.exists(this.path, { watch: this.onParentWatch })) === null) return [];
    }
  }

  /**
   * Reads the named children with a data watch each (pipelined). Children gone are left
   * out; so is a child this session may not read (NoAuth, say), reported: one such child
   * does not keep the others out of the cache.
   */
  private async readChildren(names: readonly string[]): Promise<ChildData[]> {
    const reads = await Promise.all(
      names.map(async (name): Promise<ChildData | null> => {
        const path = childPath(this.path, name);
        try {
          const { data, stat } = await this.client.getData(path, { watch: this.onChildWatch });
          return { path, data, stat };
        } catch (error) {
          if (error instanceof NoNodeError) return null;
          if (isConnectionFailure(error)) throw error;
          this.report(error);
          return null;
        }
      }),
    );
    return reads.filter((read): read is ChildData => read !== null);
  }
}

function byCreation(a: ChildData, b: ChildData): number {
  return a.stat.czxid < b.stat.czxid ? -1 : a.stat.czxid > b.stat.czxid ? 1 : 0;
}

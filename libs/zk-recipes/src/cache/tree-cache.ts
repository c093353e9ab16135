/**
 * TreeCache: a local copy of a whole subtree (the root and every node under it, with data
 * and stat), kept current by ONE persistent-recursive watch, as Curator's CuratorCache.
 *
 * Algorithm: set the recursive watch on the root (it may not exist yet), then read the
 * tree. Every notification queues one task: a creation or data change reads that node, a
 * deletion removes it (and anything held under it). The server sends notifications in the
 * order of its changes and the reads run one after another, so events come in that order;
 * a node written again before the cache read it is reported once, with its newer data.
 *
 * Connection loss:
 * - SUSPENDED: the cache keeps serving what it holds, which may be stale.
 * - RECONNECTED (same session): the client re-registers the watch, but a 3.8 server does
 *   not replay the changes made meanwhile deeper than the root. So the cache reads the
 *   whole tree again and reports the difference: added, updated and removed nodes
 *   (removals first, deepest first; then by time of last write, parents first). Changes
 *   after that come through the watch again.
 * - LOST: the watch is gone with the session; the cache keeps what it holds. On the
 *   client's new session it sets the watch again, reads the tree, and reports the
 *   difference the same way.
 *
 * A node this session may not read is left out, with its subtree, and reported as `error`;
 * the root itself must be readable (start() rejects otherwise).
 *
 * Cost: one getData per notification, and a full read of the tree on every reconnect.
 */
import {
  AddWatchMode,
  EventType,
  NoNodeError,
  type WatchEvent,
  type WatchHandle,
  type ZkClient,
  validatePath,
} from '@zk-lab/zk-client';
import { CacheBase, isConnectionFailure } from './cache-base';
import type { ChildData } from './events';
import { childPath } from './mirror';

export class TreeCache extends CacheBase {
  private watch: WatchHandle | null = null;
  /** Counts sessions lost: a watch set in an earlier session went with it. */
  private session = 0;
  private watchSession = -1;

  constructor(client: ZkClient, path: string) {
    validatePath(path, { op: 'TreeCache' });
    super(client, path, 'TreeCache');
  }

  /** The names of the held children of `path` (a node of the tree), sorted. */
  children(path: string): string[] {
    return this.mirror.childrenOf(path);
  }

  protected override async rebuild(): Promise<void> {
    if (this.watchSession !== this.session) {
      const session = this.session;
      const watch = await this.client.addWatch(
        this.path,
        AddWatchMode.PERSISTENT_RECURSIVE,
        this.onWatch,
      );
      if (session !== this.session || !this.isStarted()) {
        await watch.remove();
        return;
      }
      this.watch = watch;
      this.watchSession = session;
    }
    // The watch is armed before the reads: a change after a read is notified, so it is
    // read again by a task behind this one.
    this.mirror.reconcile(await readTree(this.client, this.path, (error) => this.report(error)));
    this.markInitialized();
  }

  protected override onSessionLost(): void {
    this.session++;
    this.watch = null;
  }

  protected override async detach(): Promise<void> {
    const watch = this.watch;
    this.watch = null;
    if (watch !== null) await watch.remove();
  }

  private readonly onWatch = (event: WatchEvent): void => {
    if (!this.isStarted()) return;
    switch (event.type) {
      case EventType.NodeCreated:
      case EventType.NodeDataChanged:
        this.enqueue(() => this.refresh(event.path));
        return;
      case EventType.NodeDeleted:
        this.enqueue(() => this.mirror.observe(event.path, null));
        return;
      default:
        // None: connection news, handled through the client's states.
        return;
    }
  };

  private async refresh(path: string): Promise<void> {
    try {
      const { data, stat } = await this.client.getData(path);
      this.mirror.observe(path, { path, data, stat });
    } catch (error) {
      // Deleted since: its deletion is the next notification for it.
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
}

/**
 * Reads `root` and every node under it (pipelined, level by level); nodes gone are left
 * out. A node below the root that this session may not read (NoAuth, say) is left out with
 * what is under it, and passed to `unreadable`; a failure to read the root is thrown.
 */
async function readTree(
  client: ZkClient,
  root: string,
  unreadable: (error: unknown) => void,
): Promise<Map<string, ChildData>> {
  const nodes = new Map<string, ChildData>();
  const skipped = (path: string, error: unknown): boolean => {
    if (error instanceof NoNodeError) return true;
    if (path === root || isConnectionFailure(error)) return false;
    unreadable(error);
    return true;
  };
  const visit = async (path: string): Promise<void> => {
    let read: { data: Buffer; stat: ChildData['stat'] };
    try {
      read = await client.getData(path);
    } catch (error) {
      if (skipped(path, error)) return;
      throw error;
    }
    nodes.set(path, { path, data: read.data, stat: read.stat });
    // A child created after this read is notified (the watch is armed) and read then.
    if (read.stat.numChildren === 0) return;
    let names: string[];
    try {
      names = await client.getChildren(path);
    } catch (error) {
      if (skipped(path, error)) return;
      throw error;
    }
    await Promise.all(names.map((name) => visit(childPath(path, name))));
  };
  await visit(root);
  return nodes;
}

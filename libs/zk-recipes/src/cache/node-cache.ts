/**
 * NodeCache: a local copy of one znode (its data and stat, or its absence), kept current by
 * one-shot watches, as Curator's NodeCache and kazoo's DataWatch.
 *
 * Algorithm: read the node with a watch (`getData`, or `exists` while it is absent); each
 * notification queues another read, which arms the next watch. Reads run one after
 * another, so the versions reported only go up; a node written several times before the
 * cache read it is reported once, with its newest data.
 *
 * Events (see CacheEvents): `added` when the node appears, `updated` when its data is
 * written, `removed` when it goes, and `initialized` after the first read.
 *
 * Connection loss:
 * - SUSPENDED: the cache keeps the last value it read, which may be stale; nothing is
 *   reported until the connection is back.
 * - RECONNECTED (same session): the node is read again and any change made meanwhile is
 *   reported, once.
 * - LOST: the cache keeps its last value. On the client's new session it reads the node
 *   again, arms a new watch, and reports the difference (added, updated or removed).
 */
import {
  EventType,
  NoNodeError,
  type WatchEvent,
  type ZkClient,
  validatePath,
} from '@zk-lab/zk-client';
import { CacheBase } from './cache-base';
import type { ChildData } from './events';

export class NodeCache extends CacheBase {
  constructor(client: ZkClient, path: string) {
    validatePath(path, { op: 'NodeCache' });
    super(client, path, 'NodeCache');
  }

  /** The node as last read, or undefined while it is absent (or not read yet). */
  current(): ChildData | undefined {
    return this.mirror.get(this.path);
  }

  protected override async rebuild(): Promise<void> {
    await this.refresh();
    this.markInitialized();
  }

  private readonly onWatch = (event: WatchEvent): void => {
    // None: connection news (Expired, Closed), handled through the client's states.
    if (event.type === EventType.None || !this.isStarted()) return;
    this.enqueue(() => this.refresh());
  };

  /** Reads the node and arms the next watch with the same read. */
  private async refresh(): Promise<void> {
    for (;;) {
      try {
        const { data, stat } = await this.client.getData(this.path, { watch: this.onWatch });
        this.mirror.observe(this.path, { path: this.path, data, stat });
        return;
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      // Absent: an exists watch fires when it is created. If it was created in between the
      // two reads, read it again.
      if ((await this.client.exists(this.path, { watch: this.onWatch })) === null) {
        this.mirror.observe(this.path, null);
        return;
      }
    }
  }
}

/**
 * Keeps a ZnodeTree equal to a subtree of ZooKeeper: one persistent-recursive watch on the
 * path, set before the subtree is read (so no change between the read and the watch is
 * missed), then the subtree read once, level by level, in multiRead batches. Each created or
 * changed event is followed by a getData of that node; a deletion needs no read.
 *
 * Replies and watch events of one session arrive in the server's order, so applying each as
 * it arrives keeps the copy consistent: a read answered after an event saw that event.
 *
 * On connection loss nothing changes until the client is back. RECONNECTED (same session):
 * a 3.8 server does not replay changes deep in a recursive watch's subtree, so the subtree
 * is read again and what it no longer holds is deleted. CONNECTED after LOST (a new
 * session): the old session's watch is gone; it is set again, then the subtree read again.
 */
import {
  AddWatchMode,
  childPath,
  dataOf,
  EventType,
  NoAuthError,
  NoNodeError,
  type ReadOp,
  type WatchEvent,
  type WatchHandle,
  type ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { type AppliedChange, type ZnodeTree } from './znode-tree';

export interface MirrorListener {
  /** A watch event arrived (it may still wait for its read). */
  arrived(): void;
  /** An event was dealt with: applied, or found to change nothing. */
  settled(change: AppliedChange | null): void;
  /** A load finished, or a note on the connection (for the log). */
  note(text: string): void;
  /** A load of the whole subtree finished (the first, or one after a reconnect). */
  loaded?(): void;
}

/** Paths per multiRead (two reads each: the data with its Stat, and the children). */
const BATCH = 200;

export class SubtreeMirror {
  private watch: WatchHandle | null = null;
  private loading: Promise<void> | null = null;
  private loadAgain = false;
  private stopped = false;
  private readonly onState = (event: ZkStateEvent) => this.stateChanged(event);

  constructor(
    private readonly client: ZkClient,
    private readonly tree: ZnodeTree,
    private readonly listener: MirrorListener,
  ) {}

  /** True while the subtree is being read. */
  get isLoading(): boolean {
    return this.loading !== null;
  }

  /**
   * Sets the watch and reads the subtree; resolves when the first load is done. When that
   * fails, nothing is left on the (shared) client: no state listener, no watch.
   */
  async start(): Promise<void> {
    this.client.on('state', this.onState);
    try {
      await this.addWatch();
      await this.reload();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Removes the watch and the state listener; resolves once no load is running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.client.off('state', this.onState);
    const removing = this.watch?.remove().catch(() => undefined);
    this.watch = null;
    await removing;
    // A load under way ends at its next level (it checks `stopped`); wait for it.
    await this.loading?.catch(() => undefined);
  }

  /**
   * Reads the subtree again; a reload asked for during one runs once more after it, even
   * when the one under way fails (its caller is told of a failure only when no re-run
   * followed it).
   */
  reload(): Promise<void> {
    if (this.loading !== null) {
      this.loadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      for (;;) {
        this.loadAgain = false;
        try {
          await this.loadOnce();
        } catch (error) {
          if (!this.loadAgain || this.stopped) throw error;
          this.failed(error);
          continue;
        }
        if (!this.loadAgain || this.stopped) return;
      }
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async addWatch(): Promise<void> {
    this.watch = await this.client.addWatch(
      this.tree.root,
      AddWatchMode.PERSISTENT_RECURSIVE,
      (event) => this.watched(event),
    );
  }

  private stateChanged(event: ZkStateEvent): void {
    if (this.stopped) return;
    if (event === 'RECONNECTED') {
      this.listener.note('reconnected: reading the subtree again');
      void this.reload().catch((error: unknown) => this.failed(error));
    } else if (event === 'CONNECTED') {
      this.listener.note('new session: watching and reading the subtree again');
      void this.addWatch()
        .then(() => this.reload())
        .catch((error: unknown) => this.failed(error));
    }
  }

  private failed(error: unknown): void {
    // The next reconnect or new session reads again.
    this.listener.note(`load failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  private watched(event: WatchEvent): void {
    if (this.stopped) return;
    switch (event.type) {
      case EventType.NodeCreated:
      case EventType.NodeDataChanged: {
        this.listener.arrived();
        const readAt = this.tree.readStarted();
        this.client.getData(event.path).then(
          ({ data, stat }) =>
            this.listener.settled(this.tree.upsert(event.path, stat, data, true, readAt)),
          (error: unknown) => {
            if (error instanceof NoAuthError) {
              this.statOnly(event.path, true).then(
                (change) => this.listener.settled(change),
                () => this.listener.settled(null),
              );
              return;
            }
            // Gone before the read: its NodeDeleted follows (or came first).
            if (!(error instanceof NoNodeError)) this.failed(error);
            this.listener.settled(null);
          },
        );
        return;
      }
      case EventType.NodeDeleted:
        this.listener.arrived();
        this.listener.settled(this.tree.delete(event.path, true));
        return;
      default:
        return; // None: the connection's own events, seen through 'state'
    }
  }

  private async loadOnce(): Promise<void> {
    const started = Date.now();
    this.tree.beginReload();
    let level = [this.tree.root];
    while (level.length > 0 && !this.stopped) {
      const batches: string[][] = [];
      for (let i = 0; i < level.length; i += BATCH) batches.push(level.slice(i, i + BATCH));
      const next: string[][] = await Promise.all(batches.map((paths) => this.loadBatch(paths)));
      level = next.flat();
    }
    for (const change of this.tree.endReload()) this.listener.settled(change);
    this.listener.note(`loaded ${this.tree.size} nodes in ${Date.now() - started} ms`);
    this.listener.loaded?.();
  }

  /** Reads `paths` (data, Stat, children) into the tree; returns their children's paths. */
  private async loadBatch(paths: string[]): Promise<string[]> {
    const ops: ReadOp[] = paths.flatMap((path): ReadOp[] => [
      { op: 'getData', path },
      { op: 'getChildren', path },
    ]);
    const readAt = this.tree.readStarted();
    const results = await this.client.multiRead(ops);
    const children: string[] = [];
    const unreadable: string[] = [];
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] as string;
      const dataResult = results[2 * i];
      const childResult = results[2 * i + 1];
      if (dataResult === undefined || childResult === undefined) continue;
      let found: ReturnType<typeof dataOf>;
      try {
        found = dataOf(dataResult);
      } catch (error) {
        if (error instanceof NoAuthError) unreadable.push(path);
        continue;
      }
      if (found === null) continue; // deleted since its parent was listed
      this.tree.upsert(path, found.stat, found.data, false, readAt);
      if ('children' in childResult) {
        for (const name of childResult.children) children.push(childPath(path, name));
      }
    }
    await Promise.all(unreadable.map((path) => this.statOnly(path, false)));
    return children;
  }

  /**
   * A node this session may not read (NoAuth): `exists` needs no permission, so it is shown
   * with its Stat and no data. Its children cannot be listed (that needs READ too).
   */
  private async statOnly(path: string, change: boolean): Promise<AppliedChange | null> {
    const readAt = this.tree.readStarted();
    const stat = await this.client.exists(path);
    return stat === null ? null : this.tree.upsert(path, stat, null, change, readAt);
  }
}

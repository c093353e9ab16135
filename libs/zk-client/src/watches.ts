/**
 * The client's side of ZooKeeper watches: which listener wants which notification, the
 * way the Java client's ZKWatchManager decides it, and what the server must be told
 * again on a new connection of the same session.
 *
 * - One-shot watches (exists, getData, getChildren with `watch`) fire at most once:
 *   NodeCreated and NodeDataChanged go to data and exist watches, NodeChildrenChanged to
 *   child watches, NodeDeleted to all three. They are registered as their reply is read,
 *   and only when the read succeeded (exists: also on NoNode, as an exist watch).
 * - Persistent watches (addWatch) fire on every change until removed. A recursive one
 *   sees every create, delete and data change in its subtree, never NodeChildrenChanged.
 * - SUSPENDED: persistent listeners get a None/Disconnected event. On the re-attach of the
 *   same session every watch is re-registered (relative to the last zxid seen; with
 *   SetWatches2 when a persistent watch is among them, else with SetWatches, which a 3.5
 *   server also knows) before any waiting request; the server then fires at once the one-shot watches
 *   whose node changed meanwhile. Persistent listeners get None/SyncConnected, and what
 *   changed meanwhile on their own node (data, existence and, for non-recursive ones, the
 *   child list). A 3.8 server does not replay the changes made meanwhile deeper in a
 *   recursive watch's subtree: a listener that must not miss one re-reads on
 *   SyncConnected.
 * - LOST and close(): every listener gets one None event (Expired or Closed) and is dropped.
 *
 * The server keeps one watch per path and kind for a connection, whatever the number of
 * listeners, and 3.8 servers let a one-shot watch overwrite a persistent one on the same
 * path (and a persistent one a recursive one). So while a persistent watch is held on a
 * path, one-shot watches on that path live here only and are served from its
 * notifications, and the server's watch on a path always has the widest mode wanted.
 */
import type { Connection, OutgoingRequest, Reply } from './connection';
import {
  BadArgumentsError,
  ClientClosedError,
  ConnectionLossError,
  ErrorCode,
  errorFromCode,
  NoWatcherError,
  SessionExpiredError,
} from './errors';
import { JuteWriter } from './jute';
import { validatePath } from './paths';
import {
  AddWatchMode,
  EventType,
  KeeperState,
  OpCode,
  type ReplyHeader,
  type WatchEvent,
  WatcherType,
  Xid,
} from './protocol';
import {
  type SetWatches2,
  writeAddWatchRequest,
  writePathWatchRequest,
  writeRemoveWatchesRequest,
  writeSetWatches,
  writeSetWatches2,
} from './records';

/** Called with a watch notification; `path` is relative to the chroot. */
export type WatchListener = (event: WatchEvent) => void;

/** A persistent watch set with `addWatch`. */
export interface WatchHandle {
  readonly path: string;
  readonly mode: AddWatchMode;
  /**
   * Stops the listener at once, then removes the server's watch when nothing else here
   * needs it. Idempotent; resolves also when the session is gone (its watches went with it).
   */
  remove(): Promise<void>;
}

/** The option bag of exists, getData and getChildren. */
export interface ReadOptions {
  /** A one-shot watch: called at most once, with the first change of the node after the read. */
  watch?: WatchListener;
  /** Stop waiting when it aborts (CallAbortedError); see RequestOptions. */
  signal?: AbortSignal;
  /** Stop waiting after this long (CallTimeoutError); see RequestOptions. */
  timeoutMs?: number;
}

/** A one-shot kind as the read asks for it; `exists` becomes data or exist by its outcome. */
export type OneShotRead = 'exists' | 'data' | 'child';

/** What the registry needs from the client. */
export interface WatchTransport {
  /** Sends on the session, as every call does (waits through SUSPENDED); error codes unchecked. */
  send(request: OutgoingRequest): Promise<Reply>;
  /** The server path of a client path (adds the chroot). */
  serverPath(path: string): string;
  /** A watch listener threw: reported, never rethrown into the connection. */
  listenerThrew(error: unknown): void;
}

/** The Java client splits SetWatches at 128 KB of paths. */
const SET_WATCHES_MAX_LENGTH = 128 * 1024;

type OneShotKind = 'data' | 'exist' | 'child';

interface Registration {
  listener: WatchListener;
}

interface PathWatches {
  data: Set<WatchListener>;
  exist: Set<WatchListener>;
  child: Set<WatchListener>;
  persistent: Set<Registration>;
  recursive: Set<Registration>;
}

/** Watch notifications that re-registration may deliver twice (a deletion seen by two lists). */
interface CatchUp {
  inBothLists: Set<string>;
  deletedSeen: Set<string>;
}

export class WatchRegistry {
  private readonly byPath = new Map<string, PathWatches>();
  /** The persistent mode the server holds on a path for this connection. */
  private readonly serverModes = new Map<string, AddWatchMode>();
  /** Whether a node with a persistent watch exists, as last learned; absent when unknown. */
  private readonly knownExists = new Map<string, boolean>();
  private catchUp: CatchUp | null = null;

  constructor(private readonly transport: WatchTransport) {}

  /** A listener that throws stops neither the others nor the connection: its error is reported. */
  private call(listener: WatchListener, event: WatchEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.transport.listenerThrew(error);
    }
  }

  /**
   * Whether a one-shot read on `path` should ask the server for a watch: not while a
   * persistent watch is held there (the server would downgrade it; its notifications
   * serve the one-shot watch instead).
   */
  wantsServerWatch(path: string): boolean {
    return !this.serverModes.has(path);
  }

  /** The onReply hook of a read with a one-shot watch. */
  oneShotHook(
    path: string,
    read: OneShotRead,
    listener: WatchListener,
    askedServer: boolean,
  ): (header: ReplyHeader) => void {
    return (header) => {
      let kind: OneShotKind;
      if (header.err === 0) kind = read === 'exists' ? 'data' : read;
      else if (header.err === ErrorCode.NO_NODE && read === 'exists') kind = 'exist';
      else return;
      this.entry(path)[kind].add(listener);
      if (!askedServer && !this.serverModes.has(path)) {
        // The persistent watch this read relied on went meanwhile: arm the server's watch
        // from the zxid the read saw, so a change since then fires at once.
        this.sendSetWatches({
          relativeZxid: header.zxid,
          dataWatches: kind === 'data' ? [this.transport.serverPath(path)] : [],
          existWatches: kind === 'exist' ? [this.transport.serverPath(path)] : [],
          childWatches: kind === 'child' ? [this.transport.serverPath(path)] : [],
          persistentWatches: [],
          persistentRecursiveWatches: [],
        });
      }
    };
  }

  /** Sets a persistent watch (addWatch); the listener is registered as the reply is read. */
  async add(path: string, mode: AddWatchMode, listener: WatchListener): Promise<WatchHandle> {
    validatePath(path, { op: 'addWatch' });
    if (mode !== AddWatchMode.PERSISTENT && mode !== AddWatchMode.PERSISTENT_RECURSIVE) {
      throw new BadArgumentsError(
        { op: 'addWatch', path },
        `unknown addWatch mode ${String(mode)}`,
      );
    }
    const context = { op: 'addWatch', path };
    const registration: Registration = { listener };
    // A recursive watch held here must stay recursive: it serves the persistent one too.
    const sentMode =
      mode === AddWatchMode.PERSISTENT && (this.byPath.get(path)?.recursive.size ?? 0) > 0
        ? AddWatchMode.PERSISTENT_RECURSIVE
        : mode;
    const added = this.transport.send({
      ...this.addWatchRequest(path, sentMode, context),
      onReply: (header) => {
        if (header.err !== 0) return;
        const watches = this.entry(path);
        (mode === AddWatchMode.PERSISTENT ? watches.persistent : watches.recursive).add(
          registration,
        );
        this.serverModes.set(path, sentMode);
        this.reconcileLater(path);
      },
    });
    // Whether the node exists, learned right behind the watch, lets a re-registration
    // report what changed while the client was away (see restore). addWatch resolves only
    // once it is known, so a connection lost right after addWatch cannot miss a change.
    const existence = this.transport
      .send({
        opCode: OpCode.exists,
        body: pathWatchBody(this.transport.serverPath(path)),
        context: { op: 'exists', path },
        onReply: (header) => {
          if (!this.serverModes.has(path)) return;
          if (header.err === 0) this.knownExists.set(path, true);
          else if (header.err === ErrorCode.NO_NODE) this.knownExists.set(path, false);
        },
      })
      .catch(() => undefined);
    const reply = await added;
    if (reply.header.err !== 0) throw errorFromCode(reply.header.err, context);
    await existence;

    let removal: Promise<void> | null = null;
    return {
      path,
      mode,
      remove: () => {
        removal ??= this.removeRegistration(path, mode, registration);
        return removal;
      },
    };
  }

  /**
   * Removes every watch of `type` on `path` here, and the server's watch when nothing else
   * needs it: Data the data and exist watches, Children the child watches, Any those and
   * the persistent ones. NoWatcherError when there was none here.
   */
  async removeAll(path: string, type: WatcherType): Promise<void> {
    validatePath(path, { op: 'removeWatches' });
    const context = { op: 'removeWatches', path };
    const watches = this.byPath.get(path);
    let removed = 0;
    if (watches !== undefined) {
      if (type === WatcherType.Data || type === WatcherType.Any) {
        removed += watches.data.size + watches.exist.size;
        watches.data.clear();
        watches.exist.clear();
      }
      if (type === WatcherType.Children || type === WatcherType.Any) {
        removed += watches.child.size;
        watches.child.clear();
      }
      if (type === WatcherType.Any) {
        removed += watches.persistent.size + watches.recursive.size;
        watches.persistent.clear();
        watches.recursive.clear();
      }
      this.prune(path);
    }
    if (removed === 0) throw new NoWatcherError(context);
    if (this.serverModes.has(path)) {
      await this.reconcile(path);
      return;
    }
    await this.settleRemoval(this.transport.send(this.removeWatchesRequest(path, type, context)));
  }

  /** Hands a notification (path relative to the chroot) to the listeners it is for. */
  dispatch(event: WatchEvent): void {
    const { type, path } = event;
    if (type === EventType.None) return;
    if (this.isDuplicateCatchUp(event)) return;
    if (this.serverModes.has(path)) {
      if (type === EventType.NodeDeleted) this.knownExists.set(path, false);
      else if (type !== EventType.NodeChildrenChanged) this.knownExists.set(path, true);
    }

    const targets = new Set<WatchListener>();
    const watches = this.byPath.get(path);
    if (watches !== undefined) {
      if (type !== EventType.NodeChildrenChanged) {
        this.take(watches.data, targets);
        this.take(watches.exist, targets);
      }
      if (type === EventType.NodeChildrenChanged || type === EventType.NodeDeleted) {
        this.take(watches.child, targets);
      }
      for (const r of watches.persistent) targets.add(r.listener);
    }
    if (type !== EventType.NodeChildrenChanged) {
      for (const p of selfAndAncestors(path)) {
        const recursive = this.byPath.get(p)?.recursive;
        if (recursive !== undefined) for (const r of recursive) targets.add(r.listener);
      }
    }
    this.prune(path);

    // Where the server holds a recursive watch it sends no NodeChildrenChanged: the child
    // watches there learn of a new or deleted child from the child's own event.
    const parent = parentOf(path);
    const childTargets = new Set<WatchListener>();
    if (
      parent !== null &&
      (type === EventType.NodeCreated || type === EventType.NodeDeleted) &&
      this.serverModes.get(parent) === AddWatchMode.PERSISTENT_RECURSIVE
    ) {
      const atParent = this.byPath.get(parent);
      if (atParent !== undefined) {
        this.take(atParent.child, childTargets);
        for (const r of atParent.persistent) childTargets.add(r.listener);
        this.prune(parent);
      }
    }

    for (const listener of targets) this.call(listener, event);
    const childEvent = {
      type: EventType.NodeChildrenChanged,
      state: event.state,
      path: parent ?? '/',
    };
    for (const listener of childTargets) this.call(listener, childEvent);
    this.reconcileLater(path);
    if (parent !== null && childTargets.size > 0) this.reconcileLater(parent);
  }

  /** The connection dropped (SUSPENDED): persistent listeners are told, one-shot ones wait. */
  onDisconnected(): void {
    this.catchUp = null;
    this.notifyPersistent(KeeperState.Disconnected);
  }

  /**
   * The same session re-attached on `connection`: re-registers every watch there with
   * SetWatches2 from `lastZxidSeen`, in packets of at most 128 KB of paths, before
   * anything else is sent on it.
   */
  restore(connection: Connection, lastZxidSeen: bigint): void {
    // Watches belong to a connection: the server's new one holds none. Rebuild what it
    // must hold from what the listeners want.
    this.serverModes.clear();
    for (const [path, watches] of this.byPath) {
      if (watches.recursive.size > 0) this.serverModes.set(path, AddWatchMode.PERSISTENT_RECURSIVE);
      else if (watches.persistent.size > 0) this.serverModes.set(path, AddWatchMode.PERSISTENT);
    }
    for (const path of [...this.knownExists.keys()]) {
      if (!this.serverModes.has(path)) this.knownExists.delete(path);
    }

    const data: string[] = [];
    const exist: string[] = [];
    const child: string[] = [];
    const persistent: string[] = [];
    const recursive: string[] = [];
    const catchUp: CatchUp = { inBothLists: new Set(), deletedSeen: new Set() };
    for (const [path, watches] of this.byPath) {
      const serverPath = this.transport.serverPath(path);
      const mode = this.serverModes.get(path);
      if (mode === undefined) {
        if (watches.data.size > 0) data.push(serverPath);
        if (watches.exist.size > 0) exist.push(serverPath);
        if (watches.child.size > 0) child.push(serverPath);
        continue;
      }
      // Also listed as one-shot watches (sent before the persistent lists, which then
      // widen them): the server fires at once for what changed while the client was away.
      const exists = this.knownExists.get(path);
      if (exists === true) {
        data.push(serverPath);
        if (watches.persistent.size > 0 || watches.child.size > 0) {
          child.push(serverPath);
          catchUp.inBothLists.add(path);
        }
      } else if (exists === false) {
        exist.push(serverPath);
      }
      (mode === AddWatchMode.PERSISTENT ? persistent : recursive).push(serverPath);
    }

    this.catchUp = catchUp.inBothLists.size > 0 ? catchUp : null;
    const sent: Promise<unknown>[] = [];
    for (const record of splitSetWatches(lastZxidSeen, [
      data,
      exist,
      child,
      persistent,
      recursive,
    ])) {
      sent.push(connection.submit(this.setWatchesRequest(record)).catch(() => undefined));
    }
    // Notifications the server fires for these come before its replies.
    void Promise.all(sent).then(() => {
      if (this.catchUp === catchUp) this.catchUp = null;
    });
    // After the requests that waited for this connection are sent, as the state event is.
    queueMicrotask(() => this.notifyPersistent(KeeperState.SyncConnected));
  }

  /** The session ended (Expired) or the client closed (Closed): one event each, then none. */
  dropAll(state: KeeperState): void {
    const listeners = new Set<WatchListener>();
    for (const watches of this.byPath.values()) {
      for (const l of watches.data) listeners.add(l);
      for (const l of watches.exist) listeners.add(l);
      for (const l of watches.child) listeners.add(l);
      for (const r of watches.persistent) listeners.add(r.listener);
      for (const r of watches.recursive) listeners.add(r.listener);
    }
    this.byPath.clear();
    this.serverModes.clear();
    this.knownExists.clear();
    this.catchUp = null;
    const event: WatchEvent = { type: EventType.None, state, path: '' };
    for (const listener of listeners) this.call(listener, event);
  }

  private async removeRegistration(
    path: string,
    mode: AddWatchMode,
    registration: Registration,
  ): Promise<void> {
    const watches = this.byPath.get(path);
    if (watches === undefined) return;
    const set = mode === AddWatchMode.PERSISTENT ? watches.persistent : watches.recursive;
    if (!set.delete(registration)) return;
    this.prune(path);
    await this.reconcile(path);
  }

  /**
   * Brings the server's persistent watch on `path` to the widest mode the listeners want:
   * widened or narrowed by a new addWatch (the server replaces the mode in place, so no
   * notification is lost), removed once no listener is left (one-shot ones included).
   */
  private async reconcile(path: string): Promise<void> {
    const current = this.serverModes.get(path);
    if (current === undefined) return;
    const watches = this.byPath.get(path);
    const wanted =
      (watches?.recursive.size ?? 0) > 0
        ? AddWatchMode.PERSISTENT_RECURSIVE
        : (watches?.persistent.size ?? 0) > 0
          ? AddWatchMode.PERSISTENT
          : undefined;
    if (wanted === current) return;
    const context = { op: wanted === undefined ? 'removeWatches' : 'addWatch', path };
    if (wanted === undefined) {
      // One-shot watches still waiting here are served by the persistent one until they fire.
      if (watches !== undefined) return;
      this.serverModes.delete(path);
      this.knownExists.delete(path);
      await this.settleRemoval(
        this.transport.send(this.removeWatchesRequest(path, WatcherType.Any, context)),
      );
      return;
    }
    this.serverModes.set(path, wanted);
    await this.settleRemoval(this.transport.send(this.addWatchRequest(path, wanted, context)));
  }

  /** reconcile() from a notification or a reply hook: nobody waits, errors have no one to go to. */
  private reconcileLater(path: string): void {
    this.reconcile(path).catch(() => undefined);
  }

  /**
   * Waits for a removeWatches (or narrowing addWatch) reply. A lost connection or session
   * took the server's watch with it, and NoWatcher means it had fired already: all done.
   */
  private async settleRemoval(sent: Promise<Reply>): Promise<void> {
    let reply: Reply;
    try {
      reply = await sent;
    } catch (error) {
      if (
        error instanceof ConnectionLossError ||
        error instanceof ClientClosedError ||
        error instanceof SessionExpiredError
      ) {
        return;
      }
      throw error;
    }
    const { err } = reply.header;
    if (err === 0 || err === ErrorCode.NO_WATCHER || err === ErrorCode.SESSION_EXPIRED) return;
    throw errorFromCode(err, { op: 'removeWatches' });
  }

  private sendSetWatches(record: SetWatches2): void {
    this.transport.send(this.setWatchesRequest(record)).catch(() => undefined);
  }

  /**
   * SetWatches2 when the batch holds a persistent watch, else the older SetWatches (as the
   * Java client): a 3.5 server answers SetWatches2 UNIMPLEMENTED and closes the connection,
   * so a client with one-shot watches only would re-attach and be cut again forever.
   */
  private setWatchesRequest(record: SetWatches2): OutgoingRequest {
    const body = new JuteWriter();
    const persistent =
      record.persistentWatches.length > 0 || record.persistentRecursiveWatches.length > 0;
    if (persistent) writeSetWatches2(body, record);
    else writeSetWatches(body, record);
    return {
      opCode: persistent ? OpCode.setWatches2 : OpCode.setWatches,
      xid: Xid.setWatches,
      body: body.toBuffer(),
      context: { op: 'setWatches' },
    };
  }

  private addWatchRequest(
    path: string,
    mode: AddWatchMode,
    context: { op: string; path: string },
  ): OutgoingRequest {
    const body = new JuteWriter();
    writeAddWatchRequest(body, this.transport.serverPath(path), mode);
    return { opCode: OpCode.addWatch, body: body.toBuffer(), context };
  }

  private removeWatchesRequest(
    path: string,
    type: WatcherType,
    context: { op: string; path: string },
  ): OutgoingRequest {
    const body = new JuteWriter();
    writeRemoveWatchesRequest(body, this.transport.serverPath(path), type);
    return { opCode: OpCode.removeWatches, body: body.toBuffer(), context };
  }

  /** A deletion reported by both the data and the child list of a re-registration. */
  private isDuplicateCatchUp(event: WatchEvent): boolean {
    const catchUp = this.catchUp;
    if (catchUp === null || event.type !== EventType.NodeDeleted) return false;
    if (!catchUp.inBothLists.has(event.path)) return false;
    if (catchUp.deletedSeen.has(event.path)) {
      catchUp.inBothLists.delete(event.path);
      return true;
    }
    catchUp.deletedSeen.add(event.path);
    return false;
  }

  private notifyPersistent(state: KeeperState): void {
    const listeners = new Set<WatchListener>();
    for (const watches of this.byPath.values()) {
      for (const r of watches.persistent) listeners.add(r.listener);
      for (const r of watches.recursive) listeners.add(r.listener);
    }
    const event: WatchEvent = { type: EventType.None, state, path: '' };
    for (const listener of listeners) this.call(listener, event);
  }

  private take(from: Set<WatchListener>, into: Set<WatchListener>): void {
    for (const listener of from) into.add(listener);
    from.clear();
  }

  private entry(path: string): PathWatches {
    let watches = this.byPath.get(path);
    if (watches === undefined) {
      watches = {
        data: new Set(),
        exist: new Set(),
        child: new Set(),
        persistent: new Set(),
        recursive: new Set(),
      };
      this.byPath.set(path, watches);
    }
    return watches;
  }

  private prune(path: string): void {
    const w = this.byPath.get(path);
    if (
      w !== undefined &&
      w.data.size + w.exist.size + w.child.size + w.persistent.size + w.recursive.size === 0
    ) {
      this.byPath.delete(path);
    }
  }
}

/**
 * SetWatches2 records for the five path lists (data, exist, child, persistent, recursive),
 * each holding at most about 128 KB of paths. Lists are taken in that order, so a path's
 * one-shot entry never comes after its persistent one.
 */
export function splitSetWatches(
  relativeZxid: bigint,
  lists: readonly [
    readonly string[],
    readonly string[],
    readonly string[],
    readonly string[],
    readonly string[],
  ],
): SetWatches2[] {
  const records: SetWatches2[] = [];
  const queue = lists.flatMap((paths, list) => paths.map((path) => ({ list, path })));
  let index = 0;
  while (index < queue.length) {
    const batch: string[][] = [[], [], [], [], []];
    let length = 0;
    while (index < queue.length && length < SET_WATCHES_MAX_LENGTH) {
      const item = queue[index++];
      if (item === undefined) break;
      batch[item.list]?.push(item.path);
      length += Buffer.byteLength(item.path, 'utf8');
    }
    records.push({
      relativeZxid,
      dataWatches: batch[0] ?? [],
      existWatches: batch[1] ?? [],
      childWatches: batch[2] ?? [],
      persistentWatches: batch[3] ?? [],
      persistentRecursiveWatches: batch[4] ?? [],
    });
  }
  return records;
}

function pathWatchBody(serverPath: string): Buffer {
  const body = new JuteWriter();
  writePathWatchRequest(body, serverPath, false);
  return body.toBuffer();
}

function selfAndAncestors(path: string): string[] {
  const paths = [path];
  for (let p = parentOf(path); p !== null; p = parentOf(p)) paths.push(p);
  return paths;
}

function parentOf(path: string): string | null {
  if (path === '/') return null;
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

import type { Stat } from '@zk-lab/zk-client';

/** A node as a cache holds it: its path, and its data and stat as last read. */
export interface ChildData {
  readonly path: string;
  readonly data: Buffer;
  readonly stat: Stat;
}

/**
 * The events of the caches of this family (NodeCache, ChildrenCache, TreeCache), emitted in
 * the order the cache learned of the changes:
 *
 * - `added`: a node appeared (at start: every node already there, then `initialized`).
 * - `updated`: a node's data was written (its `mzxid` moved on). `previous` is what the
 *   cache held before. A node replaced by a new one of the same name (deleted and created
 *   again while the cache could not see it) is reported as `removed`, then `added`.
 * - `removed`: a node went; the event carries its last known data and stat.
 * - `initialized`: the first full read is in the cache; once per cache.
 * - `error`: a read failed for a reason other than the connection (for example
 *   NoAuthError) and the cache keeps what it holds; or a node below the cached path could
 *   not be read and is left out (the others are cached); or a listener of the events above
 *   threw (a CacheListenerError, on the next tick; the cache and the other listeners went
 *   on). With no `error` listener the error becomes a process warning instead of a crash.
 *   A failure of the first full read is not an event: start() rejects with it.
 *
 * Each event is emitted once the cache's copy holds the change (and the rest of the read
 * that brought it), to each listener in turn.
 *
 * A node that changed again before the cache read it is reported once, with its newer data:
 * ZooKeeper keeps no history, so no client can read a value that was already overwritten.
 * The versions a cache reports for one node therefore only ever go up.
 */
export interface CacheEvents {
  initialized: [];
  added: [node: ChildData];
  updated: [node: ChildData, previous: ChildData];
  removed: [node: ChildData];
  error: [error: Error];
}

/** The three change events, for listeners that take them as one stream. */
export type CacheChangeType = 'added' | 'updated' | 'removed';

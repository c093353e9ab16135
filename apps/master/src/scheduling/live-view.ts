/**
 * LiveView: the leader's picture of the system between full reads, kept current from the
 * events of the persistent recursive watches it holds on `/queue`, `/assign` and
 * `/workers`. Each event names the node that was created or deleted, so a round planned
 * from the view needs no read at all, and no listing that grows with the queue.
 *
 * The view is a hint, never an authority: every assignment is a transaction that checks the
 * queued node's version, the worker's registration and the epoch, so a view that is behind
 * can only make a transaction fail (`moot`), never assign a job twice. What keeps it honest:
 *
 * - A full read (system-snapshot.ts) rebuilds it: at the start of the term, every
 *   `fullEveryMs` (the periodic reconciliation), and whenever it may have missed something
 *   or cannot know a change: a registration created, rewritten or deleted (its capacity and
 *   session must be read), a watch ended, a connection dropped, a transition that did not
 *   end as planned, a round that failed or changed more than assignments. The periodic
 *   read is also what finds a node the leader may not read: ZooKeeper sends a recursive
 *   watch no event for it (watches.test.ts).
 * - Events that arrive while a full read is in flight are replayed over its result. ZooKeeper
 *   sends a client its notifications and replies in the order of the changes, so for each
 *   node the last event replayed is at least as new as the listing: "the last event wins,
 *   else the listing" is the node's current state.
 * - A transaction's own events reach this client before its reply, so when a round's
 *   assignments have settled the view already holds them; nothing is applied by hand (a
 *   worker's later delete could otherwise be overtaken by it).
 */
import { performance } from 'node:perf_hooks';
import { EventType, type WatchEvent } from '@zk-lab/zk-client';
import { compareJobNames, isJobName, PATHS } from '@zk-lab/lab-core';
import type { LiveWorker, SystemSnapshot } from './system-snapshot';

export class LiveView {
  /** Every node name under `/queue`: jobs and strangers. */
  private queue = new Set<string>();
  /** Task node names under each `/assign/<worker>` folder. */
  private tasks = new Map<string, Set<string>>();
  private workers = new Map<string, LiveWorker>();
  private stale = true;
  private lastFullRead = -Infinity;
  /** Events seen since the full read in flight began; null when none is in flight. */
  private replay: WatchEvent[] | null = null;

  constructor(
    private readonly fullEveryMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the next round must read everything instead of trusting the view. */
  needsFullRead(): boolean {
    return this.stale || this.now() - this.lastFullRead >= this.fullEveryMs;
  }

  /** The view may have missed something: the next round reads everything. */
  invalidate(): void {
    this.stale = true;
  }

  beginFullRead(): void {
    this.replay = [];
  }

  /** The view becomes the full read's result, with the events seen meanwhile replayed. */
  endFullRead(snapshot: SystemSnapshot): void {
    this.queue = new Set([...snapshot.queue, ...snapshot.strangers]);
    this.tasks = new Map([...snapshot.tasks].map(([id, names]) => [id, new Set(names)]));
    this.workers = new Map(snapshot.workers);
    this.stale = false;
    this.lastFullRead = this.now();
    const events = this.replay ?? [];
    this.replay = null;
    for (const event of events) this.apply(event);
  }

  /** A full read that failed: nothing it read is taken, and the next round tries again. */
  abandonFullRead(): void {
    this.replay = null;
    this.stale = true;
  }

  /** The listener of the leader's persistent recursive watches. */
  onEvent(event: WatchEvent): void {
    this.replay?.push(event);
    this.apply(event);
  }

  /** The view for one round: copies, so that events during the round do not move it. */
  snapshot(): SystemSnapshot {
    const names = [...this.queue];
    return {
      workers: new Map(this.workers),
      tasks: new Map([...this.tasks].map(([id, set]) => [id, [...set]])),
      queue: names.filter(isJobName).sort(compareJobNames),
      strangers: names.filter((name) => !isJobName(name)),
    };
  }

  private apply({ type, path }: WatchEvent): void {
    if (type === EventType.None) {
      // The watch ended (session expired, client closed): nothing more will come.
      this.stale = true;
      return;
    }
    const [root, first, second, ...deeper] = path.split('/').slice(1);
    const top = `/${root}`;
    if (top === PATHS.workers) {
      // A registration's capacity and session are in its data: only a read tells them.
      this.stale = true;
      return;
    }
    if (first === undefined || deeper.length > 0) {
      // The parent itself changed, or a node below what the view keeps (a stranger's child).
      if (first === undefined) this.stale = true;
      return;
    }
    const created = type === EventType.NodeCreated;
    const deleted = type === EventType.NodeDeleted;
    if (top === PATHS.queue && second === undefined) {
      if (created) this.queue.add(first);
      else if (deleted) this.queue.delete(first);
    } else if (top === PATHS.assign) {
      if (second === undefined) {
        if (created && !this.tasks.has(first)) this.tasks.set(first, new Set());
        else if (deleted) this.tasks.delete(first);
      } else if (created) {
        let folder = this.tasks.get(first);
        if (folder === undefined) this.tasks.set(first, (folder = new Set()));
        folder.add(second);
      } else if (deleted) {
        this.tasks.get(first)?.delete(second);
      }
    }
  }
}

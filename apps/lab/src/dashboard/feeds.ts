/**
 * The dashboard's server is two halves that meet here:
 * - the HTTP side (dashboard-server.ts): routes, the token, the event stream, the tree
 *   (a mirror of the root's subtree, served as pages of children and node details);
 * - the status side (read-only-feed.ts, lab-feed.ts): servers, apps, sessions, counts, chart samples, the
 *   timeline and, in lab mode, the chaos actions and runs.
 * The HTTP side asks a StatusFeed for what it shows and forwards what it emits to every page
 * that listens. Both speak the types of @zk-lab/dashboard's protocol.
 */
import type {
  ActionCatalog,
  ActionRequest,
  ActionRun,
  ChaosRunView,
  Sample,
  Snapshot,
  TimelineEvent,
  WatchFanout,
} from '@zk-lab/dashboard';

/** What a StatusFeed emits, by the server-sent event's name. */
export interface StatusEvents {
  snapshot: Snapshot;
  sample: Sample;
  timeline: TimelineEvent;
  action: ActionRun;
  chaos: ChaosRunView;
  watches: WatchFanout;
}

export type StatusListener = <K extends keyof StatusEvents>(name: K, data: StatusEvents[K]) => void;

/** A request the feed refuses: the HTTP status and the one line to show. */
export class FeedRefusal extends Error {
  override readonly name = 'FeedRefusal';
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface StatusFeed {
  /** The latest snapshot (a new page's first picture). */
  snapshot(): Snapshot;
  /** The last minutes, for a page that connects now. */
  history(): { samples: Sample[]; timeline: TimelineEvent[]; chaos: ChaosRunView | null };
  /** Every later event; returns the unsubscribe. */
  subscribe(listener: StatusListener): () => void;
  /** The actions this dashboard can make (none in read-only mode) and the runs so far. */
  catalog(): ActionCatalog;
  /** Starts an action; throws FeedRefusal (unknown kind, one already running, read-only). */
  runAction(request: ActionRequest): ActionRun;
  /** Starts a chaos run; throws FeedRefusal. */
  runChaos(request: { seed: number; rounds: number }): ChaosRunView;
  /** A timeline line from the HTTP side (an edit made on the page, a tree reload). */
  note(event: TimelineEvent): void;
  stop(): Promise<void>;
}

/**
 * The dashboard's status for any ensemble, without a lab: what four-letter words and a
 * read-only look at the namespace can tell (see StatusLoop). It changes nothing: it has no
 * actions, refuses every request to make one, and never sends a word that resets counters.
 */
import { READ_ONLY_REFUSAL } from '@zk-lab/dashboard';
import type { ZkClient } from '@zk-lab/zk-client';
import { FeedRefusal, type StatusFeed } from './feeds';
import { StatusHistory } from './status-history';
import { StatusLoop } from './status-loop';

export interface ReadOnlyFeedOptions {
  connectString: string;
  /** A client with no root option: the feed reads absolute paths under `root`. */
  client: ZkClient;
  /** Where the lab's layout may be (`/zk-lab`); apps and counts are shown only when it is. */
  root: string;
  log: (line: string) => void;
  /** Between readings; default 1 s. */
  intervalMs?: number;
}

export function createReadOnlyFeed(options: ReadOnlyFeedOptions): StatusFeed {
  const history = new StatusHistory(options.log);
  const loop = new StatusLoop({ ...options, mode: 'read-only', history });
  loop.start();
  return {
    snapshot: () => loop.snapshot(),
    history: () => history.history(),
    subscribe: (listener) => history.subscribe(listener),
    catalog: () => ({ actions: [], runs: [] }),
    runAction: () => {
      throw new FeedRefusal(403, READ_ONLY_REFUSAL);
    },
    runChaos: () => {
      throw new FeedRefusal(403, READ_ONLY_REFUSAL);
    },
    note: (event) => history.emit('timeline', event),
    stop: async () => {
      await loop.stop();
      history.clear();
    },
  };
}

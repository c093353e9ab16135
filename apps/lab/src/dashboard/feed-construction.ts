/**
 * THE ONE PLACE where the dashboard's commands build their StatusFeed (the status side,
 * branch dash-feed): `lab dashboard` a read-only feed, `lab up` a lab feed. Everything else
 * on the HTTP side knows only the StatusFeed interface (feeds.ts).
 */
import { DEFAULT_ROOT } from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import type { StatusFeed } from './feeds';
import { createLabFeed, type LabFeedOptions } from './lab-feed';
import { createReadOnlyFeed } from './read-only-feed';

/**
 * `lab dashboard`'s feed. The tree may show any subtree (default /); the feed looks for the
 * lab's layout (masters, workers, queue) under that subtree, or under /zk-lab when it is /.
 */
export function readOnlyFeed(options: {
  client: ZkClient;
  connectString: string;
  treeRoot: string;
  log: (line: string) => void;
}): StatusFeed {
  return createReadOnlyFeed({
    client: options.client,
    connectString: options.connectString,
    root: options.treeRoot === '/' ? DEFAULT_ROOT : options.treeRoot,
    log: options.log,
  });
}

/**
 * `lab up`'s feed: what the lab knows of its servers, apps and links, and its chaos actions.
 * Its client is the admin identity's, with no root option (the actions write with it).
 */
export function labFeed(options: LabFeedOptions): StatusFeed {
  return createLabFeed(options);
}

/**
 * The system's numbers, read from ZooKeeper itself: registered workers, jobs waiting,
 * results and dead jobs. Only reads, as the admin identity (ZK_ADMIN_AUTH), which every node
 * grants, whether or not the namespace is world-readable; without the client's `root` option, which would create the root if it is missing.
 * Counts come from each parent's Stat (numChildren): the queue and the results are never listed.
 */
import { loadCredentials, PATHS } from '@zk-lab/lab-core';
import { NoNodeError, ZkClient } from '@zk-lab/zk-client';

export interface SystemCounts {
  workers: string[];
  queue: number;
  results: number;
  dead: number;
}

export class SystemCounter {
  private constructor(
    private readonly client: ZkClient,
    private readonly root: string,
  ) {}

  static async connect(
    connectString: string,
    root: string,
    connectTimeoutMs = 5_000,
  ): Promise<SystemCounter> {
    const client = await ZkClient.connect({
      connectString,
      sessionTimeoutMs: 4_000,
      connectTimeoutMs,
      auth: [loadCredentials('admin').authInfo()],
    });
    return new SystemCounter(client, root);
  }

  async read(): Promise<SystemCounts> {
    const [workers, queue, results, dead] = await Promise.all([
      this.children(PATHS.workers),
      this.count(PATHS.queue),
      this.count(PATHS.results),
      this.count(PATHS.dead),
    ]);
    return { workers: workers.sort(), queue, results, dead };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async count(path: string): Promise<number> {
    const stat = await this.client.exists(`${this.root}${path}`);
    return stat?.numChildren ?? 0;
  }

  private async children(path: string): Promise<string[]> {
    try {
      return await this.client.getChildren(`${this.root}${path}`);
    } catch (err) {
      if (err instanceof NoNodeError) return [];
      throw err;
    }
  }
}

/** Reads the counts once (for `lab status`), or null when ZooKeeper does not answer. */
export async function readCountsOnce(
  connectString: string,
  root: string,
): Promise<SystemCounts | null> {
  let counter: SystemCounter | null = null;
  try {
    counter = await SystemCounter.connect(connectString, root, 2_000);
    return await withTimeout(counter.read(), 2_000);
  } catch {
    return null;
  } finally {
    await counter?.close();
  }
}

/** The promise's value, or a rejection after `ms` (a read waits while ZooKeeper has no quorum). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * ReadBatch: the leader's reads of a round's nodes (the queued jobs it assigns, the tasks it
 * requeues or checks) go out as multiRead requests instead of one getData each: reads asked
 * in the same turn of the event loop are sent together, up to `maxBatch` per request. The
 * server then takes one request, not one per job.
 *
 * Each caller still gets its own node's answer: its data and version, null when the node
 * is gone, or its own error (NoAuth, …) so that only its node is skipped. A failure of the
 * whole request (ConnectionLoss after the client's retries, SessionExpired) fails each read
 * in it, as each getData would have failed.
 */
import { dataOf, type ReadResult, type ZkClient } from '@zk-lab/zk-client';

export interface NodeRead {
  data: Buffer;
  version: number;
}

interface Waiting {
  path: string;
  resolve(read: NodeRead | null): void;
  reject(error: unknown): void;
}

export class ReadBatch {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly client: Pick<ZkClient, 'multiRead'>,
    /** Reads per request: a bound on one reply's size (a node holds at most 1 MB). */
    private readonly maxBatch = 64,
  ) {}

  /** The node's data and version, or null when it does not exist. */
  read(path: string): Promise<NodeRead | null> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ path, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // Every read asked before this turn's microtasks run goes out in the same requests.
      queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.waiting;
    this.waiting = [];
    for (let i = 0; i < all.length; i += this.maxBatch) {
      void this.send(all.slice(i, i + this.maxBatch));
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    let results: ReadResult[];
    try {
      results = await this.client.multiRead(batch.map(({ path }) => ({ op: 'getData', path })));
    } catch (error) {
      for (const one of batch) one.reject(error);
      return;
    }
    batch.forEach((one, i) => {
      try {
        const read = dataOf(results[i]!);
        one.resolve(read && { data: read.data, version: read.stat.version });
      } catch (error) {
        one.reject(error);
      }
    });
  }
}

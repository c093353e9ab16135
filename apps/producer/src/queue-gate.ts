/**
 * Backpressure (review F13): the enqueue loop asks the gate how many jobs it may send.
 * The gate keeps an upper estimate of the queue's depth, the last depth read from the
 * queue's Stat (numChildren: the queue is never listed) plus every job sent since, and
 * reads the Stat again every `recheckEvery` jobs and whenever it is closed. Workers only
 * take jobs away, so the estimate never underrates the depth of this producer's making;
 * several producers together can pass the limit by what each sent since its last read.
 */
import { PATHS } from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';

export const DEFAULT_RECHECK_EVERY = 100;

export class QueueGate {
  private depthRead = 0;
  private sentSinceRead = 0;

  constructor(
    private readonly client: Pick<ZkClient, 'exists'>,
    readonly limit: number,
    private readonly recheckEvery = DEFAULT_RECHECK_EVERY,
  ) {}

  /** The depth as last estimated. */
  get depth(): number {
    return this.depthRead + this.sentSinceRead;
  }

  /** Jobs that may be sent now (0: held back). */
  get room(): number {
    return Math.max(0, this.limit - this.depth);
  }

  /** Whether the Stat is due for another read. */
  get stale(): boolean {
    return this.sentSinceRead >= this.recheckEvery;
  }

  sent(count: number): void {
    this.sentSinceRead += count;
  }

  /** Reads the queue's depth from its Stat. */
  async refresh(): Promise<void> {
    const sentBefore = this.sentSinceRead;
    const stat = await this.client.exists(PATHS.queue);
    // Jobs sent while the read was in flight may or may not be in its count: keep them.
    this.depthRead = stat?.numChildren ?? 0;
    this.sentSinceRead -= sentBefore;
  }
}

/**
 * Jobs the bench's admin client puts in the queue itself (the takeover and worker-kill
 * trials), as the producer writes them (its own JobFactory, without its marker).
 */
import { encode, JOB_PREFIX, jobKey, namespaceAcls, queuePath } from '@zk-lab/lab-core';
// The producer's own job documents (the bench builds every app before it runs).
import { JobFactory, parseJobSpec } from '@zk-lab/producer/dist/job-factory';
import { CreateMode, type ZkClient } from '@zk-lab/zk-client';

export class AdminJobs {
  private readonly jobs: JobFactory;

  /** Jobs of `type` with `payload` (JSON text, or none), as `--type` and `--payload` take them. */
  constructor(
    private readonly client: ZkClient,
    type: string,
    payload?: string,
  ) {
    this.jobs = new JobFactory(parseJobSpec(type, payload));
  }

  /** Enqueues one job; resolves with its key. */
  async enqueue(): Promise<string> {
    const path = await this.client.create(queuePath(JOB_PREFIX), encode(this.jobs.next()), {
      mode: CreateMode.PERSISTENT_SEQUENTIAL,
      acl: namespaceAcls().job,
    });
    return jobKey(path.slice(path.lastIndexOf('/') + 1));
  }
}

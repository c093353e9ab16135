/**
 * WorkerShutdown: what SIGTERM/SIGINT do before the session closes, so a stop or a rolling
 * deploy costs no job an attempt:
 *
 * 1. the registration says `draining` (the leader assigns nothing more) and the executor
 *    starts nothing more;
 * 2. running jobs get the grace period to finish and be recorded as usual;
 * 3. what still runs then is abandoned, and every task node left in `/assign/<id>` is
 *    handed back to the queue (a hand-back, not a failed attempt);
 * 4. the caller closes the session.
 *
 * Each step is bounded; the caller bounds the whole (a ZooKeeper that cannot be reached
 * must not hold the process: the leader then requeues the tasks when the session expires).
 */
import { assignDir, isJobName } from '@zk-lab/lab-core';
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';
import type { TaskExecutor } from './task-executor';
import type { TaskHandBack } from './task-hand-back';
import type { WorkerLog } from './worker-log';
import type { WorkerRegistration } from './worker-registration';

export class WorkerShutdown {
  constructor(
    private readonly client: ZkClient,
    private readonly workerId: string,
    private readonly registration: WorkerRegistration,
    private readonly executor: TaskExecutor,
    private readonly handBacks: TaskHandBack,
    private readonly log: WorkerLog,
  ) {}

  async drain(graceMs: number): Promise<void> {
    const running = this.executor.runningKeys();
    this.log.info(
      { graceMs, running },
      `draining: no new tasks; ${running.length} running job(s) get ${graceMs} ms to finish`,
    );
    await Promise.all([
      this.registration.drain().catch((error: unknown) => {
        this.log.warn({ err: error }, 'could not mark the registration draining');
      }),
      this.executor.drain(graceMs),
    ]);
    const handedBack = await this.handBackAll();
    this.log.info({ handedBack }, `drained: ${handedBack.length} task(s) handed back`);
  }

  private async handBackAll(): Promise<string[]> {
    let names: string[];
    try {
      names = await this.client.getChildren(assignDir(this.workerId));
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
    const reason = `worker ${this.workerId} shut down`;
    const outcomes = await Promise.all(
      names
        .filter(isJobName)
        .map(async (name) => [name, await this.handBacks.handBack(name, reason)] as const),
    );
    return outcomes.filter(([, outcome]) => outcome === 'handed_back').map(([name]) => name);
  }
}

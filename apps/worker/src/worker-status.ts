/**
 * WorkerStatus: what `/status`, `/health` and `/ready` report, read from the pieces.
 */
import { type ConfigWatcher, type LabConfig, sessionIdHex } from '@zk-lab/lab-core';
import type { ZkClient, ZkClientState } from '@zk-lab/zk-client';
import type { TaskExecutor } from './task-executor';
import type { WorkerCapacity } from './worker-capacity';
import type { JobOutcome } from './worker-metrics';
import type { WorkerRegistration } from './worker-registration';

export interface WorkerStatusReport {
  role: 'worker';
  id: string;
  sessionId: string;
  session: ZkClientState;
  registered: boolean;
  ready: boolean;
  capacity: number;
  capacitySource: 'flag' | 'config';
  running: string[];
  totals: Record<JobOutcome, number>;
  config: {
    version: number | null;
    values: LabConfig;
    rejected: { version: number; error: string } | null;
    /** Where the config in force came from: `/config`, its history (at start), or nowhere. */
    source: 'node' | 'history' | 'defaults';
  };
}

export class WorkerStatus {
  constructor(
    private readonly workerId: string,
    private readonly client: ZkClient,
    private readonly registration: WorkerRegistration,
    private readonly capacity: WorkerCapacity,
    private readonly executor: TaskExecutor,
    private readonly config: ConfigWatcher,
  ) {}

  /** The process runs and its client is not closed. */
  healthy(): boolean {
    return this.client.state !== 'CLOSED';
  }

  /** Connected and registered: the leader can give this worker tasks. */
  ready(): boolean {
    return this.client.state === 'CONNECTED' && this.registration.registered;
  }

  report(): WorkerStatusReport {
    const config = this.config.status();
    return {
      role: 'worker',
      id: this.workerId,
      sessionId: sessionIdHex(this.client),
      session: this.client.state,
      registered: this.registration.registered,
      ready: this.ready(),
      capacity: this.capacity.value,
      capacitySource: this.capacity.source,
      running: this.executor.runningKeys(),
      totals: this.executor.totals(),
      config: {
        version: config.version,
        values: config.config,
        rejected: config.rejected,
        source: config.source,
      },
    };
  }
}

import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { WorkerStatus } from '../worker-status';

/** Liveness and readiness probes. */
@Controller()
export class HealthController {
  constructor(@Inject(WorkerStatus) private readonly status: WorkerStatus) {}

  /** 200 while the process runs and its ZooKeeper client is not closed. */
  @Get('health')
  health(): { status: 'ok' } {
    if (!this.status.healthy()) {
      throw new ServiceUnavailableException({ status: 'closed' });
    }
    return { status: 'ok' };
  }

  /** 200 when connected and registered (the leader can assign to this worker), else 503. */
  @Get('ready')
  ready(): { ready: true } {
    if (!this.status.ready()) {
      const { session, registered } = this.status.report();
      throw new ServiceUnavailableException({ ready: false, session, registered });
    }
    return { ready: true };
  }
}

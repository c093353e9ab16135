import { Controller, Get, Inject } from '@nestjs/common';
import { WorkerStatus, type WorkerStatusReport } from '../worker-status';

@Controller()
export class StatusController {
  constructor(@Inject(WorkerStatus) private readonly status: WorkerStatus) {}

  /** Who this worker is, its session, registration, capacity, running jobs, totals, config. */
  @Get('status')
  report(): WorkerStatusReport {
    return this.status.report();
  }
}

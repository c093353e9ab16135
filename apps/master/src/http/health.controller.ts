import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { MasterRuntime } from '../master-runtime';

/**
 * Liveness and readiness probes, with the worker's body shapes: `/health` answers
 * `{status:'ok'}` or 503 `{status:'unhealthy', problem}`; `/ready` answers `{ready:true}` or
 * 503 `{ready:false, …}`. Both carry the scheduler's view (role, term running, last round).
 */
@Controller()
export class HealthController {
  constructor(@Inject(MasterRuntime) private readonly runtime: MasterRuntime) {}

  /**
   * 200 while the client is open and, when leading, a term runs and completed a round
   * within STALLED_AFTER_ROUNDS reconcile intervals; else 503 (a stalled scheduler).
   */
  @Get('health')
  health(): { status: 'ok'; scheduler: unknown } {
    const problem = this.runtime.healthProblem();
    const scheduler = this.runtime.schedulerHealth();
    if (problem !== null) {
      throw new ServiceUnavailableException({ status: 'unhealthy', problem, scheduler });
    }
    return { status: 'ok', scheduler };
  }

  /** 200 while connected, in the election and healthy. */
  @Get('ready')
  ready(): { ready: true } {
    if (!this.runtime.isReady()) {
      throw new ServiceUnavailableException({
        ready: false,
        problem: this.runtime.healthProblem(),
        scheduler: this.runtime.schedulerHealth(),
      });
    }
    return { ready: true };
  }
}

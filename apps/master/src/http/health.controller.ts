import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { MasterRuntime } from '../master-runtime';

@Controller()
export class HealthController {
  constructor(@Inject(MasterRuntime) private readonly runtime: MasterRuntime) {}

  /** 200 while the process runs and its ZooKeeper client is not closed. */
  @Get('health')
  health(): { status: 'ok' } {
    if (!this.runtime.isHealthy()) throw new ServiceUnavailableException({ status: 'closed' });
    return { status: 'ok' };
  }

  /** 200 while connected and in the election. */
  @Get('ready')
  ready(): { status: 'ready' } {
    if (!this.runtime.isReady()) throw new ServiceUnavailableException({ status: 'not ready' });
    return { status: 'ready' };
  }
}

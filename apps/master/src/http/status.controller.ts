import { Controller, Get, Header, Inject } from '@nestjs/common';
import { MasterRuntime } from '../master-runtime';
import type { MasterStatus } from '../master-status';

@Controller()
export class StatusController {
  constructor(@Inject(MasterRuntime) private readonly runtime: MasterRuntime) {}

  @Get('status')
  status(): Promise<MasterStatus> {
    return this.runtime.status();
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.runtime.metrics.registry.metrics();
  }
}

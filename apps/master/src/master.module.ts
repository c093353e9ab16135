import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { HealthController } from './http/health.controller';
import { StatusController } from './http/status.controller';
import { MasterRuntime } from './master-runtime';

/** The master's HTTP face over a started MasterRuntime. */
@Module({})
export class MasterModule {
  static register(runtime: MasterRuntime, logger: Logger): DynamicModule {
    return {
      module: MasterModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false } })],
      controllers: [HealthController, StatusController],
      providers: [{ provide: MasterRuntime, useValue: runtime }],
    };
  }
}

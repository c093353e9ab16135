import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { HttpModule } from './http/http.module';
import { ConfigModule } from './modules/config.module';
import { ExecutionModule } from './modules/execution.module';
import { RegistrationModule } from './modules/registration.module';
import { RuntimeModule } from './modules/runtime.module';
import type { WorkerRuntime } from './worker-runtime';

/** Probes and scrapes would flood the log: only other requests are logged. */
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

@Module({})
export class AppModule {
  static register(runtime: WorkerRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: runtime.log,
            autoLogging: { ignore: (request) => QUIET_PATHS.has(request.url ?? '') },
          },
        }),
        RuntimeModule.register(runtime),
        ConfigModule,
        RegistrationModule,
        ExecutionModule,
        HttpModule,
      ],
    };
  }
}

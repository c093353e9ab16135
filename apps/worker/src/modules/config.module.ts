import { Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { ConfigWatcher, logConfigChanges, trackServiceMetrics } from '@zk-lab/lab-core';
import { ZkClient } from '@zk-lab/zk-client';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { WorkerCapacity } from '../worker-capacity';
import { WORKER_RUNTIME, type WorkerRuntime } from '../worker-runtime';

/** Sets the level of the app's logger and of the request logger nestjs-pino derived from it. */
function setLogLevel(log: Logger, level: string): void {
  log.level = level;
  // Undefined until the HTTP middleware exists; it then starts from the app logger's level.
  const requestLog = PinoLogger.root as Logger | undefined;
  if (requestLog !== undefined) requestLog.level = level;
}

/** The live config (/config), read before anything else starts, and the capacity it sets. */
@Module({
  providers: [
    {
      provide: ConfigWatcher,
      inject: [ZkClient, WORKER_RUNTIME],
      useFactory: async (client: ZkClient, runtime: WorkerRuntime): Promise<ConfigWatcher> => {
        const config = new ConfigWatcher(client);
        logConfigChanges(config, runtime.log, (level) => setLogLevel(runtime.log, level));
        trackServiceMetrics(runtime.serviceMetrics, client, config);
        await config.start();
        const status = config.status();
        if (status.source === 'defaults') {
          runtime.log.info(
            { config: config.config },
            status.rejected === null
              ? 'no /config and no history: running on the defaults'
              : '/config is invalid and no good version is in its history: running on the defaults',
          );
        }
        return config;
      },
    },
    {
      provide: WorkerCapacity,
      inject: [ConfigWatcher, WORKER_RUNTIME],
      useFactory: (config: ConfigWatcher, runtime: WorkerRuntime) =>
        new WorkerCapacity(config, runtime.capacityOverride),
    },
  ],
  exports: [ConfigWatcher, WorkerCapacity],
})
export class ConfigModule implements OnModuleDestroy {
  constructor(@Inject(ConfigWatcher) private readonly config: ConfigWatcher) {}

  async onModuleDestroy(): Promise<void> {
    await this.config.close().catch(() => undefined);
  }
}

import { Module } from '@nestjs/common';
import { ConfigWatcher } from '@zk-lab/lab-core';
import { ZkClient } from '@zk-lab/zk-client';
import { ConfigModule } from '../modules/config.module';
import { ExecutionModule } from '../modules/execution.module';
import { RegistrationModule } from '../modules/registration.module';
import { TaskExecutor } from '../task-executor';
import { WorkerCapacity } from '../worker-capacity';
import { WorkerRegistration } from '../worker-registration';
import { WORKER_RUNTIME, type WorkerRuntime } from '../worker-runtime';
import { WorkerStatus } from '../worker-status';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { StatusController } from './status.controller';

/** /health, /ready, /metrics, /status: thin controllers over WorkerStatus and the metrics. */
@Module({
  imports: [ConfigModule, RegistrationModule, ExecutionModule],
  controllers: [HealthController, StatusController, MetricsController],
  providers: [
    {
      provide: WorkerStatus,
      inject: [
        WORKER_RUNTIME,
        ZkClient,
        WorkerRegistration,
        WorkerCapacity,
        TaskExecutor,
        ConfigWatcher,
      ],
      useFactory: (
        runtime: WorkerRuntime,
        client: ZkClient,
        registration: WorkerRegistration,
        capacity: WorkerCapacity,
        executor: TaskExecutor,
        config: ConfigWatcher,
      ) => new WorkerStatus(runtime.identity.id, client, registration, capacity, executor, config),
    },
  ],
})
export class HttpModule {}

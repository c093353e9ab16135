import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigWatcher } from '@zk-lab/lab-core';
import { ZkClient } from '@zk-lab/zk-client';
import { JobRunner } from '../job-runner';
import { TaskCompletion } from '../task-completion';
import { TaskExecutor } from '../task-executor';
import { TaskHandBack } from '../task-hand-back';
import { TaskWatcher } from '../task-watcher';
import { WorkerCapacity } from '../worker-capacity';
import { trackWorkerMetrics, WorkerMetrics } from '../worker-metrics';
import { WorkerRegistration } from '../worker-registration';
import { WORKER_RUNTIME, type WorkerRuntime } from '../worker-runtime';
import { ConfigModule } from './config.module';
import { RegistrationModule } from './registration.module';

/** Runs the assigned tasks: watch /assign/<id>, run up to capacity, record each outcome. */
@Module({
  imports: [ConfigModule, RegistrationModule],
  providers: [
    { provide: JobRunner, useFactory: () => new JobRunner() },
    {
      provide: TaskCompletion,
      inject: [ZkClient, WORKER_RUNTIME],
      useFactory: (client: ZkClient, runtime: WorkerRuntime) =>
        new TaskCompletion(client, runtime.identity.id, runtime.acls),
    },
    {
      provide: TaskHandBack,
      inject: [ZkClient, WORKER_RUNTIME],
      useFactory: (client: ZkClient, runtime: WorkerRuntime) =>
        new TaskHandBack(client, runtime.identity.id, runtime.acls.job),
    },
    {
      provide: TaskExecutor,
      inject: [
        ZkClient,
        ConfigWatcher,
        WorkerCapacity,
        JobRunner,
        TaskCompletion,
        WorkerRegistration,
        WorkerMetrics,
        WORKER_RUNTIME,
      ],
      useFactory: (
        client: ZkClient,
        config: ConfigWatcher,
        capacity: WorkerCapacity,
        runner: JobRunner,
        completion: TaskCompletion,
        registration: WorkerRegistration,
        metrics: WorkerMetrics,
        runtime: WorkerRuntime,
      ) => {
        const executor = new TaskExecutor(
          client,
          config,
          capacity,
          runner,
          completion,
          runtime.log,
          runtime.identity.id,
          runtime.executions,
        );
        trackWorkerMetrics(metrics, registration, executor);
        return executor;
      },
    },
    {
      provide: TaskWatcher,
      inject: [
        ZkClient,
        TaskExecutor,
        WorkerRegistration,
        WorkerCapacity,
        TaskHandBack,
        WORKER_RUNTIME,
      ],
      useFactory: (
        client: ZkClient,
        executor: TaskExecutor,
        registration: WorkerRegistration,
        capacity: WorkerCapacity,
        handBack: TaskHandBack,
        runtime: WorkerRuntime,
      ) =>
        new TaskWatcher(
          client,
          runtime.identity.id,
          executor,
          registration,
          capacity,
          handBack,
          runtime.log,
        ),
    },
  ],
  exports: [TaskExecutor, TaskHandBack],
})
export class ExecutionModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(TaskWatcher) private readonly watcher: TaskWatcher,
    @Inject(TaskExecutor) private readonly executor: TaskExecutor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.watcher.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.watcher.close();
    this.executor.close();
  }
}

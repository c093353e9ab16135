import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ZkClient } from '@zk-lab/zk-client';
import { WorkerMetrics } from '../worker-metrics';
import { WORKER_LOG, WORKER_RUNTIME, type WorkerRuntime } from '../worker-runtime';

/** The runtime's values (client, logger, identity, metrics), for every module. */
@Global()
@Module({})
export class RuntimeModule {
  static register(runtime: WorkerRuntime): DynamicModule {
    return {
      module: RuntimeModule,
      providers: [
        { provide: WORKER_RUNTIME, useValue: runtime },
        { provide: WORKER_LOG, useValue: runtime.log },
        { provide: ZkClient, useValue: runtime.client },
        { provide: WorkerMetrics, useValue: new WorkerMetrics(runtime.serviceMetrics) },
      ],
      exports: [WORKER_RUNTIME, WORKER_LOG, ZkClient, WorkerMetrics],
    };
  }
}

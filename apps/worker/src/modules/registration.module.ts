import { Inject, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ZkClient } from '@zk-lab/zk-client';
import { WorkerCapacity } from '../worker-capacity';
import { WorkerRegistration } from '../worker-registration';
import { WORKER_RUNTIME, type WorkerRuntime } from '../worker-runtime';
import { ConfigModule } from './config.module';

/** /workers/<id>: registered once the app is up, again after every session loss. */
@Module({
  imports: [ConfigModule],
  providers: [
    {
      provide: WorkerRegistration,
      inject: [ZkClient, WorkerCapacity, WORKER_RUNTIME],
      useFactory: (client: ZkClient, capacity: WorkerCapacity, runtime: WorkerRuntime) =>
        new WorkerRegistration(
          client,
          runtime.identity,
          capacity,
          runtime.registrationAcl,
          runtime.log,
        ),
    },
  ],
  exports: [WorkerRegistration],
})
export class RegistrationModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(WorkerRegistration) private readonly registration: WorkerRegistration) {}

  onApplicationBootstrap(): void {
    this.registration.start();
  }

  onModuleDestroy(): void {
    this.registration.close();
  }
}

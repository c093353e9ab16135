import { Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { ZkClient } from '@zk-lab/zk-client';
import { WorkerCapacity } from '../worker-capacity';
import { WorkerRegistration } from '../worker-registration';
import { WORKER_RUNTIME, type WorkerRuntime } from '../worker-runtime';
import { ConfigModule } from './config.module';

/**
 * /workers/<id>: registered once the app is up and its HTTP port listens (the bootstrap
 * calls `start()`, so a port clash leaves no registration), again after every session loss.
 */
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
export class RegistrationModule implements OnModuleDestroy {
  constructor(@Inject(WorkerRegistration) private readonly registration: WorkerRegistration) {}

  onModuleDestroy(): void {
    this.registration.close();
  }
}

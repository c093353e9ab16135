/**
 * What the bootstrap hands the Nest modules: the connected client, the logger, the
 * worker's identity and the service metrics, made before Nest starts so that a usage or
 * connection error ends the process with the right exit code and no framework noise.
 */
import type { NamespaceAcls, ServiceMetrics } from '@zk-lab/lab-core';
import type { ACL, ZkClient } from '@zk-lab/zk-client';
import type { Logger } from 'pino';
import type { ExecutionRecorder } from './execution-log';
import type { WorkerIdentity } from './worker-registration';

export interface WorkerRuntime {
  identity: WorkerIdentity;
  /** The --capacity flag, if given. */
  capacityOverride: number | undefined;
  client: ZkClient;
  log: Logger;
  acls: NamespaceAcls;
  /** Of `/workers/<id>`: the worker's own identity may rewrite it. */
  registrationAcl: ACL[];
  serviceMetrics: ServiceMetrics;
  /** Where each handler run is recorded before it starts. */
  executions: ExecutionRecorder;
}

/** Injection tokens of the runtime's values. */
export const WORKER_RUNTIME = Symbol('WORKER_RUNTIME');
export const WORKER_LOG = Symbol('WORKER_LOG');

/**
 * Starts a worker: connect, then the Nest app (config, execution, HTTP), then, once the
 * HTTP port listens, the registration (a port clash leaves no registered node). SIGTERM and
 * SIGINT drain (WorkerShutdown: no new tasks, running ones get the grace period, the rest
 * is handed back), then close the ZooKeeper session, so the worker's node goes at once.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import {
  defaultIdentityWarning,
  connectToNamespace,
  createServiceMetrics,
  type Credentials,
  CLOSE_BUDGET_MS,
  exitOnTermination,
  logSessionStates,
  type NamespaceAcls,
  registrationAcl,
  type WorkerOwnIdentity,
  sessionIdHex,
} from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import { Logger } from 'nestjs-pino';
import { z } from 'zod';
import { AppModule } from './app.module';
import { ExecutionLog, type ExecutionRecorder, NO_EXECUTION_LOG } from './execution-log';
import { TaskExecutor } from './task-executor';
import { TaskHandBack } from './task-hand-back';
import type { WorkerOptions } from './worker-args';
import { createWorkerLogger } from './worker-log';
import { WorkerRegistration } from './worker-registration';
import { WorkerShutdown } from './worker-shutdown';

function packageVersion(): string {
  const text = readFileSync(join(__dirname, '..', 'package.json'), 'utf8');
  return z.object({ version: z.string() }).parse(JSON.parse(text)).version;
}

export async function startWorker(
  options: WorkerOptions,
  credentials: Credentials,
  acls: NamespaceAcls,
  own: WorkerOwnIdentity,
): Promise<void> {
  let client: ZkClient | undefined;
  const log = createWorkerLogger(options.id, () =>
    client === undefined || client.sessionId === 0n ? undefined : sessionIdHex(client),
  );
  if (credentials.isDefault) {
    log.warn({ user: credentials.user }, defaultIdentityWarning('worker'));
  }
  // Opened first: a worker that cannot record its executions must not run any.
  const executions: ExecutionRecorder =
    options.executionLog === null ? NO_EXECUTION_LOG : new ExecutionLog(options.executionLog);
  const { connectString, root, sessionTimeoutMs, source } = options.connection;
  log.info({ connectString, root, sessionTimeoutMs, source }, 'connecting to ZooKeeper');
  try {
    client = await connectToNamespace(options.connection, credentials, {
      extraAuth: [own.authInfo()],
    });
  } catch (error) {
    log.error({ err: error, connectString }, 'could not connect to ZooKeeper');
    throw error;
  }
  const connected = client;
  log.info(
    { negotiatedTimeoutMs: connected.negotiatedTimeoutMs },
    `ZooKeeper session ${sessionIdHex(connected)} established`,
  );
  logSessionStates(connected, log);

  const app = await NestFactory.create(
    AppModule.register({
      identity: {
        id: options.id,
        host: hostname(),
        pid: process.pid,
        started: Date.now(),
        version: packageVersion(),
        identity: own.id().id,
      },
      capacityOverride: options.capacity,
      client: connected,
      log,
      acls,
      registrationAcl: registrationAcl(own.id()),
      serviceMetrics: createServiceMetrics('worker', options.id),
      executions,
    }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  const registration = app.get(WorkerRegistration);
  const shutdown = new WorkerShutdown(
    connected,
    options.id,
    registration,
    app.get(TaskExecutor),
    app.get(TaskHandBack),
    log,
  );
  const graceMs = options.shutdownGraceMs;
  // Installed before the app starts (and registers). The whole stop is bounded: the grace
  // period, then a budget for the hand-backs and the close.
  exitOnTermination(
    async () => {
      await shutdown.drain(graceMs).catch((error: unknown) => {
        log.error({ err: error }, 'drain failed; the leader requeues what is left');
      });
      log.info('terminating: closing the ZooKeeper session');
      await connected.close();
      await app.close();
      executions.close();
    },
    (error) => log.error({ err: error }, 'shutdown failed'),
    graceMs + 2 * CLOSE_BUDGET_MS,
  );
  try {
    await app.listen(options.httpPort, options.httpHost);
  } catch (error) {
    log.error({ err: error, port: options.httpPort }, 'could not listen for HTTP');
    await connected.close().catch(() => undefined);
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://${options.httpHost}:${port}`;
  log.info({ port, url }, `HTTP on ${url}`);
  registration.start();
}

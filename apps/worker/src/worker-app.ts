/**
 * Starts a worker: connect, then the Nest app (config, registration, execution, HTTP),
 * and SIGTERM/SIGINT handling that closes the ZooKeeper session first, so the worker's
 * node goes at once and the leader requeues its tasks without waiting for a timeout.
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
import type { WorkerOptions } from './worker-args';
import { createWorkerLogger } from './worker-log';

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
    }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  // Installed before the app starts (and registers): from then on a signal closes the
  // session first, so /workers/<id> goes at once.
  exitOnTermination(
    async () => {
      log.info('terminating: closing the ZooKeeper session (the leader requeues running tasks)');
      await connected.close();
      await app.close();
    },
    (error) => log.error({ err: error }, 'shutdown failed'),
  );
  await app.listen(options.httpPort, options.httpHost);
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://${options.httpHost}:${port}`;
  log.info({ port, url }, `HTTP on ${url}`);
}

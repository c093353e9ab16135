#!/usr/bin/env node
// The master: competes for leadership; the leader assigns queued jobs to live workers.
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import {
  ConnectionSettingsError,
  exitOnTermination,
  InvalidCredentialsError,
  isValidWorkerId,
  loadCredentials,
  parseServiceArgs,
  SERVICE_FLAGS_HELP,
} from '@zk-lab/lab-core';
import { MasterModule } from './master.module';
import { MasterRuntime } from './master-runtime';

const HELP = `Usage: npm run master -- [options]

Runs one master. Masters compete through leader election; the leader assigns queued jobs
to live workers, requeues the tasks of workers that vanish and buries jobs past their
attempts. Logs are JSON lines (pino) on stdout.

  --id ID                   this master's id (ZK_LAB_ID; default master-<host>-<pid>)
${SERVICE_FLAGS_HELP}
Endpoints: GET /health /ready /metrics /status
Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failed, 2 bad usage.
`;

async function main(): Promise<void> {
  let args;
  let credentials;
  try {
    args = parseServiceArgs(process.argv.slice(2), { id: true });
    if (args.help) {
      process.stdout.write(HELP);
      return;
    }
    credentials = loadCredentials('master');
  } catch (error) {
    if (error instanceof ConnectionSettingsError || error instanceof InvalidCredentialsError) {
      process.stderr.write(`master: ${error.message}\n(see --help)\n`);
      process.exit(2);
    }
    throw error;
  }
  const id = args.id ?? `master-${hostname()}-${process.pid}`;
  if (!isValidWorkerId(id)) {
    process.stderr.write(`master: bad --id ${JSON.stringify(id)}: letters, digits, _ . -\n`);
    process.exit(2);
  }

  let runtime: MasterRuntime | null = null;
  const log = pino({
    level: 'info',
    base: { app: 'master', masterId: id, pid: process.pid },
    mixin: () => ({ sessionId: runtime?.sessionId }),
  });
  runtime = new MasterRuntime({ id, connection: args.connection, credentials, log });
  const started = runtime;
  exitOnTermination(
    async () => {
      log.info({}, 'stopping: leaving the election and closing the session');
      await started.close();
    },
    (error) => log.error({ err: error }, 'stop failed'),
  );
  try {
    await runtime.start();
  } catch (error) {
    log.fatal({ err: error }, `could not start: ${(error as Error).message}`);
    await runtime.close().catch(() => undefined);
    process.exit(1);
  }
  try {
    const app = await NestFactory.create(MasterModule.register(runtime, log), {
      bufferLogs: true,
    });
    app.useLogger(app.get(Logger));
    await app.listen(args.httpPort, args.httpHost);
    const address = (app.getHttpServer() as Server).address() as AddressInfo | null;
    const port = address?.port ?? args.httpPort;
    log.info({ port }, `HTTP on http://${args.httpHost}:${port}`);
  } catch (error) {
    // After the runtime started: close the session at once, so that its election node
    // does not block a failover for a session timeout (review O4).
    log.fatal(
      { err: error },
      `could not serve HTTP on ${args.httpHost}:${args.httpPort}: ${(error as Error).message}`,
    );
    await runtime.close().catch(() => undefined);
    process.exit(1);
  }
}

void main();

#!/usr/bin/env node
// The worker service: `npm run worker -- [flags]`. Exit codes: 0 ok (and on SIGTERM/SIGINT),
// 1 failed (e.g. ZooKeeper unreachable), 2 bad usage or bad input.
import 'reflect-metadata';
import {
  ConnectionSettingsError,
  InvalidCredentialsError,
  loadCredentials,
  namespaceAcls,
  WorkerOwnIdentity,
} from '@zk-lab/lab-core';
import { InvalidWorkerIdError, parseWorkerArgs, WORKER_USAGE } from './worker-args';
import { startWorker } from './worker-app';

async function main(argv: string[]): Promise<number | undefined> {
  let setup;
  try {
    const options = parseWorkerArgs(argv);
    if (options === 'help') {
      process.stdout.write(WORKER_USAGE);
      return 0;
    }
    setup = {
      options,
      credentials: loadCredentials('worker'),
      acls: namespaceAcls(),
      own: new WorkerOwnIdentity(options.id),
    };
  } catch (error) {
    if (
      error instanceof ConnectionSettingsError ||
      error instanceof InvalidCredentialsError ||
      error instanceof InvalidWorkerIdError
    ) {
      process.stderr.write(`worker: ${error.message}\nRun with --help for usage.\n`);
      return 2;
    }
    throw error;
  }
  await startWorker(setup.options, setup.credentials, setup.acls, setup.own);
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

/**
 * The worker's command line: the service flags of lab-core plus --id and --capacity.
 * Every problem here is a usage error (exit code 2).
 */
import { v4 as uuidv4 } from 'uuid';
import {
  isValidWorkerId,
  parseServiceArgs,
  SERVICE_FLAGS_HELP,
  type ServiceArgs,
} from '@zk-lab/lab-core';

export const WORKER_USAGE = `Usage: npm run worker -- [flags]   (or: node apps/worker/dist/main.js [flags])

A worker: registers /workers/<id> (ephemeral), runs the tasks the leader assigns it in
/assign/<id> (up to its capacity at once), and records each outcome with the removal of
its task node in one transaction. Logs are JSON lines (pino) on stdout.

Worker:
  --id ID                   this worker's id (ZK_LAB_ID; default: a new uuid v4): 1 to 128
                            letters, digits, _ . - (not starting with _ . -)
  --capacity N              jobs run at once, 1 to 256 (default: workerCapacity of the
                            live config, followed as it changes)
  -h, --help                this help

${SERVICE_FLAGS_HELP}`;

/** An id that cannot name /workers/<id>. */
export class InvalidWorkerIdError extends Error {
  constructor(readonly id: string) {
    super(
      `bad --id ${JSON.stringify(id)}: expected 1 to 128 letters, digits, _ . - ` +
        '(starting with a letter or digit)',
    );
    this.name = 'InvalidWorkerIdError';
  }
}

export interface WorkerOptions extends Omit<ServiceArgs, 'id' | 'help'> {
  id: string;
}

/** The options, or 'help' for --help. */
export function parseWorkerArgs(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): WorkerOptions | 'help' {
  const args = parseServiceArgs(argv, { id: true, capacity: true }, env);
  if (args.help) return 'help';
  const id = args.id ?? uuidv4();
  if (!isValidWorkerId(id)) throw new InvalidWorkerIdError(id);
  return {
    connection: args.connection,
    httpPort: args.httpPort,
    httpHost: args.httpHost,
    capacity: args.capacity,
    id,
  };
}

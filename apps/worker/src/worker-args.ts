/**
 * The worker's command line: the service flags of lab-core plus --id, --capacity,
 * --execution-log and --shutdown-grace. Every problem here is a usage error (exit code 2).
 */
import { v4 as uuidv4 } from 'uuid';
import {
  ConnectionSettingsError,
  isValidWorkerId,
  parseServiceArgs,
  SERVICE_FLAGS_HELP,
  type ServiceArgs,
} from '@zk-lab/lab-core';

/** Shorter than the lab's 5 s before SIGKILL, with room for the hand-backs and the close. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 3_000;

export const WORKER_USAGE = `Usage: npm run worker -- [flags]   (or: node apps/worker/dist/main.js [flags])

A worker: registers /workers/<id> (ephemeral), runs the tasks the leader assigns it in
/assign/<id> (up to its capacity at once), and records each outcome with the removal of
its task node in one transaction. Logs are JSON lines (pino) on stdout.

Worker:
  --id ID                   this worker's id (ZK_LAB_ID; default: a new uuid v4): 1 to 128
                            letters, digits, _ . - (not starting with _ . -)
  --capacity N              jobs run at once, 1 to 256 (default: workerCapacity of the
                            live config, followed as it changes)
  --execution-log FILE      append one JSON line per handler run, before it starts:
                            {jobId,key,attempt,workerId,session,token,at}; token is the
                            run's fencing token (ZK_LAB_EXECUTION_LOG; default: none)
  --shutdown-grace MS       on SIGTERM/SIGINT, running jobs get this long to finish before
                            they are handed back (ZK_LAB_SHUTDOWN_GRACE_MS; default ${DEFAULT_SHUTDOWN_GRACE_MS};
                            keep it under what a supervisor waits before SIGKILL)
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
  /** Where the execution log goes; null: none. */
  executionLog: string | null;
  shutdownGraceMs: number;
}

/** The worker's own flags, taken out of `argv` before the service flags are parsed. */
function takeWorkerFlags(argv: string[]): {
  rest: string[];
  executionLog: string | undefined;
  shutdownGrace: string | undefined;
} {
  const rest: string[] = [];
  const found: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const flag = ['--execution-log', '--shutdown-grace'].find(
      (name) => arg === name || arg.startsWith(`${name}=`),
    );
    if (flag === undefined) {
      rest.push(arg);
      continue;
    }
    const value = arg === flag ? argv[++i] : arg.slice(flag.length + 1);
    if (value === undefined || value === '') {
      throw new ConnectionSettingsError(`${flag} needs a value`);
    }
    found[flag] = value;
  }
  return {
    rest,
    executionLog: found['--execution-log'],
    shutdownGrace: found['--shutdown-grace'],
  };
}

/** The options, or 'help' for --help. */
export function parseWorkerArgs(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): WorkerOptions | 'help' {
  const own = takeWorkerFlags(argv);
  const args = parseServiceArgs(own.rest, { id: true, capacity: true }, env);
  if (args.help) return 'help';
  const id = args.id ?? uuidv4();
  if (!isValidWorkerId(id)) throw new InvalidWorkerIdError(id);
  const rawGrace =
    own.shutdownGrace ?? env.ZK_LAB_SHUTDOWN_GRACE_MS ?? String(DEFAULT_SHUTDOWN_GRACE_MS);
  const shutdownGraceMs = Number(rawGrace);
  if (!Number.isInteger(shutdownGraceMs) || shutdownGraceMs < 0 || shutdownGraceMs > 600_000) {
    throw new ConnectionSettingsError(
      `bad --shutdown-grace ${JSON.stringify(rawGrace)}: expected 0 to 600000 ms`,
    );
  }
  const executionLog = own.executionLog ?? env.ZK_LAB_EXECUTION_LOG;
  return {
    connection: args.connection,
    httpPort: args.httpPort,
    httpHost: args.httpHost,
    capacity: args.capacity,
    id,
    executionLog: executionLog === undefined || executionLog === '' ? null : executionLog,
    shutdownGraceMs,
  };
}

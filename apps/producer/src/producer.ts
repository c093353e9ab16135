/**
 * One producer run: flags → job → limits → pipelined creates → (wait) → summary, and the
 * exit code. Everything that can be checked is checked before the first job is written.
 */
import {
  ConnectionSettingsError,
  InvalidCredentialsError,
  loadCredentials,
  namespaceAcls,
  NamespaceMissingError,
  NotAuthorizedError,
  resolveConnection,
} from '@zk-lab/lab-core';
import { NoAuthError, type ZkClient, ZkError } from '@zk-lab/zk-client';
import { admitJobs, PayloadTooLargeError, QueueFullError, readLiveConfig } from './admission';
import {
  parseProducerArgs,
  plannedJobs,
  type ProducerOptions,
  UsageError,
  USAGE_LINE,
} from './args';
import { connectProducer, ZooKeeperUnreachableError } from './connect';
import { JobEnqueuer, type EnqueueOutcome } from './enqueue';
import { HELP } from './help';
import { InvalidJobError, JobFactory, parseJobSpec } from './job-factory';
import { ProgressReporter, type ProgressStream } from './progress';
import { formatRun, summarizeRun } from './report';
import { ResultWaiter, type WaitOutcome } from './wait-for-results';

/** Where a run writes: stdout for the result, stderr for progress, warnings and errors. */
export interface ProducerIo {
  out(text: string): void;
  err(text: string): void;
  progress: ProgressStream;
}

export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** 128 + the signal's number, as a shell reports a process the signal ended. */
export function interruptedExitCode(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? 143 : 130;
}

export async function runProducer(
  argv: string[],
  io: ProducerIo,
  signal: AbortSignal,
): Promise<number> {
  try {
    const parsed = parseProducerArgs(argv);
    if (parsed.help) {
      io.out(HELP);
      return EXIT.ok;
    }
    const { options } = parsed;
    // Checked before connecting: a bad job never costs a session.
    const factory = new JobFactory(parseJobSpec(options.type, options.payload));
    const settings = resolveConnection(options.connection);
    const credentials = loadCredentials('app');
    const client = await connectProducer(settings, credentials, options.connectTimeoutMs);
    try {
      return await produce(client, factory, options, io, signal);
    } finally {
      await client.close();
    }
  } catch (error) {
    return reportError(error, io);
  }
}

async function produce(
  client: ZkClient,
  factory: JobFactory,
  options: ProducerOptions,
  io: ProducerIo,
  signal: AbortSignal,
): Promise<number> {
  const count = plannedJobs(options.mode);
  const config = await readLiveConfig(client, (message) => io.err(message));
  await admitJobs(client, config, { payloadBytes: factory.payloadBytes, count });

  const enqueued = await enqueue(client, factory, options, io, signal);
  const print = (wait: WaitOutcome | null): void => {
    const summary = summarizeRun(factory.spec.type, options.mode, count, enqueued, wait);
    if (options.json) io.out(JSON.stringify(summary));
    else for (const line of formatRun(summary)) io.out(line);
  };
  if (enqueued.error !== null) {
    print(null);
    io.err(
      `error: enqueueing stopped after ${enqueued.jobs.length} of ${count} jobs: ` +
        describeWriteError(enqueued.error),
    );
    return EXIT.failed;
  }
  if (enqueued.interrupted) {
    print(null);
    io.err(
      `interrupted: ${enqueued.jobs.length} of ${count} jobs were enqueued; ` +
        'each is whole and stays in the queue',
    );
    return interruptedExitCode(signal);
  }
  if (options.wait === null) {
    print(null);
    return EXIT.ok;
  }

  const waited = await waitForEnd(client, enqueued, options.wait.timeoutMs, io, signal);
  print(waited);
  if (waited.interrupted) {
    io.err(`interrupted: stopped waiting with ${waited.missing} job(s) still unfinished`);
    return interruptedExitCode(signal);
  }
  if (waited.timedOut) {
    const last = waited.lastError === null ? '' : ` (last error: ${waited.lastError.message})`;
    io.err(
      `error: timed out after ${options.wait.timeoutMs / 1000} s: ${waited.missing} of ` +
        `${enqueued.jobs.length} jobs have neither a result nor a dead record${last}`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}

async function enqueue(
  client: ZkClient,
  factory: JobFactory,
  options: ProducerOptions,
  io: ProducerIo,
  signal: AbortSignal,
): Promise<EnqueueOutcome> {
  const enqueuer = new JobEnqueuer(client, factory, namespaceAcls().system);
  const { mode } = options;
  if (mode.kind === 'single') return enqueuer.batch(1, { signal });
  const progress = new ProgressReporter(io.progress, 'enqueued', mode.count);
  const control = { signal, onEnqueued: (n: number) => progress.update(n) };
  try {
    return mode.kind === 'batch'
      ? await enqueuer.batch(mode.count, control)
      : await enqueuer.stream(mode.rate, mode.count, control);
  } finally {
    progress.finish();
  }
}

async function waitForEnd(
  client: ZkClient,
  enqueued: EnqueueOutcome,
  timeoutMs: number,
  io: ProducerIo,
  signal: AbortSignal,
): Promise<WaitOutcome> {
  let dead = 0;
  const progress = new ProgressReporter(
    io.progress,
    'ended',
    enqueued.jobs.length,
    () => `${dead} dead`,
  );
  try {
    return await new ResultWaiter(client, enqueued.jobs).wait({
      timeoutMs,
      signal,
      onProgress: (counts) => {
        dead = counts.dead;
        progress.update(counts.done + counts.dead);
      },
    });
  } finally {
    progress.finish();
  }
}

function describeWriteError(error: Error): string {
  if (error instanceof NoAuthError) {
    return (
      'ZooKeeper refused the write (NoAuth): the app identity (ZK_APP_AUTH) is not one the ' +
      "namespace's ACL allows"
    );
  }
  return error.message;
}

function reportError(error: unknown, io: ProducerIo): number {
  if (error instanceof UsageError || error instanceof ConnectionSettingsError) {
    io.err(`error: ${error.message}\n${USAGE_LINE}\n(--help for the full help)`);
    return EXIT.badInput;
  }
  if (
    error instanceof InvalidJobError ||
    error instanceof PayloadTooLargeError ||
    error instanceof QueueFullError ||
    error instanceof InvalidCredentialsError
  ) {
    io.err(`error: ${error.message}`);
    return EXIT.badInput;
  }
  if (
    error instanceof ZooKeeperUnreachableError ||
    error instanceof NotAuthorizedError ||
    error instanceof NamespaceMissingError ||
    error instanceof ZkError
  ) {
    io.err(`error: ${error.message}`);
    return EXIT.failed;
  }
  io.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.failed;
}

/**
 * One producer run: flags → job → limits → pipelined creates → (wait) → summary, and the
 * exit code. Everything that can be checked is checked before the first job is written.
 */
import {
  connectWithin,
  ConnectionSettingsError,
  InvalidCredentialsError,
  loadCredentials,
  namespaceAcls,
  NamespaceMissingError,
  NotAuthorizedError,
  resolveConnection,
  ZooKeeperUnreachableError,
} from '@zk-lab/lab-core';
import { NoAuthError, type ZkClient, ZkError } from '@zk-lab/zk-client';
import { admitPayload, PayloadTooLargeError, readLiveConfig } from './admission';
import {
  parseProducerArgs,
  plannedJobs,
  type ProducerOptions,
  UsageError,
  USAGE_LINE,
} from './args';
import { JobEnqueuer, type EnqueueOutcome } from './enqueue';
import { JobRecord, RecordFileError } from './job-record';
import { QueueGate } from './queue-gate';
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

/** 75 is EX_TEMPFAIL (sysexits.h): held back by a full queue too long; try again later. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, heldBack: 75 } as const;

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
    const credentials = loadCredentials('producer');
    const record = openRecord(options.record);
    try {
      const client = await connectWithin(settings, credentials, options.connectTimeoutMs, {
        // A mistyped --root must not make a namespace nothing serves.
        createNamespace: false,
      });
      try {
        return await produce(client, factory, record, options, io, signal);
      } finally {
        await client.close();
      }
    } finally {
      record?.close();
    }
  } catch (error) {
    return reportError(error, io);
  }
}

function openRecord(path: string | null): JobRecord | null {
  if (path === null) return null;
  try {
    return JobRecord.open(path);
  } catch (error) {
    throw new RecordFileError(path, error as Error);
  }
}

async function produce(
  client: ZkClient,
  factory: JobFactory,
  record: JobRecord | null,
  options: ProducerOptions,
  io: ProducerIo,
  signal: AbortSignal,
): Promise<number> {
  const count = plannedJobs(options.mode);
  const config = await readLiveConfig(client, (message) => io.err(message));
  admitPayload(config, factory.payloadBytes);

  const gate = new QueueGate(client, config.queueMaxDepth);
  const enqueued = await enqueue(client, factory, gate, record, options, io, signal);
  const print = (wait: WaitOutcome | null): void => {
    const summary = summarizeRun(factory.spec.type, options.mode, count, enqueued, wait);
    if (options.json) io.out(JSON.stringify(summary));
    else for (const line of formatRun(summary)) io.out(line);
  };
  const unkeyed = enqueued.jobs.filter((job) => job.key === null);
  if (unkeyed.length > 0) {
    io.err(
      `warning: ${unkeyed.length} job(s) were enqueued but the replies naming their keys were ` +
        `lost (their markers in /produced say they are in); job ids: ${unkeyed
          .slice(0, 10)
          .map((job) => job.id)
          .join(', ')}${unkeyed.length > 10 ? ', …' : ''}` +
        (options.wait === null ? '' : '; --wait does not follow them'),
    );
  }
  if (enqueued.error !== null) {
    print(null);
    io.err(
      `error: enqueueing stopped after ${enqueued.jobs.length} of ${count} jobs: ` +
        describeWriteError(enqueued.error),
    );
    return EXIT.failed;
  }
  if (enqueued.heldBack !== null) {
    print(null);
    const { depth, limit, waitedMs } = enqueued.heldBack;
    io.err(
      `gave up: held back ${(waitedMs / 1000).toFixed(1)} s by a full queue (about ${depth} ` +
        `job(s), queueMaxDepth ${limit}); ${enqueued.jobs.length} of ${count} jobs were ` +
        'written' +
        (options.record === null ? '' : ` (each is in ${options.record})`) +
        '; try again later or raise --max-wait',
    );
    return EXIT.heldBack;
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
        `${keyedJobs(enqueued).length} jobs have neither a result nor a dead record${last}`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}

async function enqueue(
  client: ZkClient,
  factory: JobFactory,
  gate: QueueGate,
  record: JobRecord | null,
  options: ProducerOptions,
  io: ProducerIo,
  signal: AbortSignal,
): Promise<EnqueueOutcome> {
  const enqueuer = new JobEnqueuer({
    client,
    factory,
    acl: namespaceAcls().job,
    gate,
    record,
    maxWaitMs: options.maxWaitMs,
  });
  const { mode } = options;
  let heldBack = false;
  const onHeld = (held: { depth: number; limit: number } | null): void => {
    heldBack = held !== null;
    if (held === null) io.err('the queue has room again: enqueueing');
    else {
      io.err(
        `held back: the queue holds about ${held.depth} job(s), its limit is ${held.limit} ` +
          `(queueMaxDepth in /config); waiting for room (at most ${options.maxWaitMs / 1000} s)`,
      );
    }
  };
  if (mode.kind === 'single') return enqueuer.batch(1, { signal, onHeld });
  const progress = new ProgressReporter(io.progress, 'enqueued', mode.count, () =>
    heldBack ? 'held back: the queue is full' : '',
  );
  const control = { signal, onHeld, onEnqueued: (n: number) => progress.update(n) };
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
    keyedJobs(enqueued).length,
    () => `${dead} dead`,
  );
  try {
    return await new ResultWaiter(client, keyedJobs(enqueued)).wait({
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

/** The jobs whose keys are known: the ones --wait can follow. */
function keyedJobs(enqueued: EnqueueOutcome): { key: string; created: number; id: string }[] {
  return enqueued.jobs.flatMap((job) =>
    job.key === null ? [] : [{ key: job.key, created: job.created, id: job.id }],
  );
}

function describeWriteError(error: Error): string {
  if (error instanceof NoAuthError) {
    return (
      'ZooKeeper refused the write (NoAuth): the producer identity (ZK_PRODUCER_AUTH) is not one the ' +
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
    error instanceof RecordFileError ||
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

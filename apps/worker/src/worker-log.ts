/**
 * The worker's one pino logger: JSON lines on stdout, each stamped with the worker id and
 * the current session id (a mixin, so a line written after a new session carries the new
 * id). Plain classes take it as a WorkerLog; Nest gets it through nestjs-pino.
 */
import pino, { type Logger } from 'pino';
import type { Task } from '@zk-lab/lab-core';

/** The part of the logger the plain classes use: pino's `(object, message)` calls. */
export type WorkerLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export function createWorkerLogger(workerId: string, sessionId: () => string | undefined): Logger {
  return pino(
    {
      level: 'info',
      mixin: () => ({ workerId, sessionId: sessionId() }),
    },
    // Synchronous writes: the last lines before an exit on SIGTERM are not lost.
    pino.destination({ dest: 1, sync: true }),
  );
}

/** The fields every line about a job carries. */
export function jobFields(
  key: string,
  task: Task,
): {
  jobKey: string;
  jobId: string;
  jobType: string;
  attempt: number;
  epoch: number;
} {
  return {
    jobKey: key,
    jobId: task.id,
    jobType: task.type,
    attempt: task.attempt,
    epoch: task.epoch,
  };
}

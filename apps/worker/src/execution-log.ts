/**
 * ExecutionLog: an append-only record of every handler run, one JSON line per execution,
 * written before the handler starts. It is evidence from outside ZooKeeper: a judge (the
 * lab's chaos verdict, or an operator) counts executions per job and checks their fencing
 * tokens, which must strictly increase per job.
 *
 * Each line is one `write` on a file opened with O_APPEND, synchronously: several workers
 * may share the file, and a line is on disk (in the page cache) before the handler can
 * have any side effect, even if the process is killed a moment later.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** One execution, as the judge reads it. */
export interface ExecutionRecord {
  jobId: string;
  key: string;
  attempt: number;
  workerId: string;
  /** The session the run belongs to, as the client shows it (`0x…`). */
  session: string;
  /** The fencing token: the task node's czxid, in decimal. */
  token: string;
  /** When the handler started (ms since the epoch). */
  at: number;
}

export interface ExecutionRecorder {
  record(entry: ExecutionRecord): void;
  close(): void;
}

/** Records nothing: no --execution-log. */
export const NO_EXECUTION_LOG: ExecutionRecorder = {
  record: () => undefined,
  close: () => undefined,
};

export class ExecutionLog implements ExecutionRecorder {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  record(entry: ExecutionRecord): void {
    if (this.fd === null) throw new Error(`execution log ${this.path} is closed`);
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    let written = 0;
    // One write for the whole line; a short write (a full disk) continues where it ended.
    while (written < line.length) written += writeSync(this.fd, line, written);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

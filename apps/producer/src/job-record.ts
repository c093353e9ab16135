/**
 * The producer's own record (`--record FILE`, `ZK_LAB_PRODUCER_RECORD`): one JSON line per
 * job, `{"jobId":"<uuid>","type":"<type>","at":<ms>}`, appended before the job's create is
 * sent, so that a judge reading it afterwards knows every job this run may have created,
 * whatever became of the run; then `{"jobId","created":true,"key","at"}` once the server
 * confirmed the create (key null when only the idempotency marker told). A job with the
 * first line and not the second is indeterminate: created once, or not at all. Written synchronously with O_APPEND: several producers may
 * share a file, and a batch's lines go out in one write.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { JobType } from '@zk-lab/lab-core';

export interface RecordedJob {
  id: string;
  type: JobType;
}

export class JobRecord {
  private constructor(private fd: number | null) {}

  /** Opens (creates) `path` for appending; throws the fs error if it cannot. */
  static open(path: string): JobRecord {
    return new JobRecord(openSync(path, 'a'));
  }

  /** Appends one line per job; returns once the bytes are written (not necessarily synced). */
  append(jobs: readonly RecordedJob[], at: number = Date.now()): void {
    if (this.fd === null || jobs.length === 0) return;
    this.write(
      jobs.map((job) => `${JSON.stringify({ jobId: job.id, type: job.type, at })}\n`).join(''),
    );
  }

  private write(text: string): void {
    if (this.fd === null) return;
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(this.fd, bytes, written, bytes.length - written);
    }
  }

  /** Appends the confirmation of one job's create. */
  created(id: string, key: string | null, at: number = Date.now()): void {
    this.write(`${JSON.stringify({ jobId: id, created: true, key, at })}\n`);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Thrown when the record file cannot be opened: exit 2, before anything is written. */
export class RecordFileError extends Error {
  override readonly name = 'RecordFileError';
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(`cannot open the record file ${path}: ${cause.message}`);
  }
}

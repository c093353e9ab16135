/**
 * The producer's own record (`--record FILE`, `ZK_LAB_PRODUCER_RECORD`): one JSON line per
 * job, `{"jobId":"<uuid>","type":"<type>","at":<ms>}`, appended before the job's create is
 * sent, so that a judge reading it afterwards knows every job this run may have created,
 * whatever became of the run. Written synchronously with O_APPEND: several producers may
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
    const text = jobs
      .map((job) => `${JSON.stringify({ jobId: job.id, type: job.type, at })}\n`)
      .join('');
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(this.fd, bytes, written, bytes.length - written);
    }
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

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Follows a growing log file, as `tail -F` does, from its size when the tail starts: the
 * lab reads what its apps write to their log files, whichever process (`lab up` or a
 * `lab start` from another terminal) started the app that writes.
 */
export class LogTail {
  private offset: number;
  private partial = '';
  // Keeps a character split between two reads whole.
  private decoder = new StringDecoder('utf8');

  constructor(private readonly path: string) {
    this.offset = sizeOf(path);
  }

  /** The complete lines written since the last call. */
  read(): string[] {
    const size = sizeOf(this.path);
    if (size < this.offset) {
      // Truncated or replaced: start again from its beginning.
      this.offset = 0;
      this.partial = '';
      this.decoder = new StringDecoder('utf8');
    }
    if (size === this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return [];
    }
    try {
      const read = readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += read;
      const text = this.partial + this.decoder.write(buffer.subarray(0, read));
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      return lines.filter((line) => line.trim() !== '');
    } finally {
      closeSync(fd);
    }
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

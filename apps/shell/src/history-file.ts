/**
 * The interactive shell's history, kept between runs in `~/.zk-lab/shell_history`
 * (ZK_SHELL_HISTORY names another file): one command a line, oldest first.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const HISTORY_SIZE = 1_000;

export function historyPath(env: Record<string, string | undefined> = process.env): string {
  const named = env.ZK_SHELL_HISTORY;
  return named !== undefined && named !== '' ? named : join(homedir(), '.zk-lab', 'shell_history');
}

export class HistoryFile {
  private last: string | undefined;

  constructor(readonly path: string) {}

  /** The kept lines, newest first (as readline's `history` option wants them). */
  load(): string[] {
    let lines: string[];
    try {
      lines = readFileSync(this.path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
    } catch {
      return [];
    }
    if (lines.length > 2 * HISTORY_SIZE) {
      // Rewritten now and then, so the file stays small.
      lines = lines.slice(-HISTORY_SIZE);
      this.write(`${lines.join('\n')}\n`, false);
    }
    this.last = lines[lines.length - 1];
    return lines.slice(-HISTORY_SIZE).reverse();
  }

  /** Appends a line at once, so a shell that dies keeps what was typed. */
  add(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed === this.last) return;
    this.last = trimmed;
    this.write(`${trimmed}\n`, true);
  }

  private write(text: string, append: boolean): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      if (append) appendFileSync(this.path, text, { mode: 0o600 });
      else writeFileSync(this.path, text, { mode: 0o600 });
    } catch {
      // A history that cannot be written is not worth stopping the shell for.
    }
  }
}

/**
 * One shell: a session, a working node, and the running of one command line at a time,
 * whatever reads the lines (a terminal, a script, the command line itself).
 */
import type { ZkClient } from '@zk-lab/zk-client';
import { parseArgs, splitWords } from './command-line';
import type { ShellContext } from './command-spec';
import { commandOrUsage } from './command-table';
import { errorLine, EXIT_OK, exitCodeOf, RefusedError, UsageError } from './shell-errors';
import type { ShellOutput } from './shell-output';
import { resolvePath } from './znode-paths';

export interface ShellOptions {
  client: ZkClient;
  out: ShellOutput;
  connectString: string;
  readOnly: boolean;
  canAsk: boolean;
  confirm(question: string): Promise<boolean>;
}

export class Shell {
  cwd = '/';
  readonly identities: string[] = [];
  /** Set by quit. */
  exitRequested = false;

  constructor(private readonly options: ShellOptions) {}

  get client(): ZkClient {
    return this.options.client;
  }

  get readOnly(): boolean {
    return this.options.readOnly;
  }

  /**
   * Runs one line; prints its result or its one-line error (after `where`, a script's
   * `line 3: `); returns its exit code.
   */
  async runLine(line: string, signal: AbortSignal, where = ''): Promise<number> {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return EXIT_OK;
    let words: string[];
    try {
      words = splitWords(trimmed);
    } catch (error) {
      return this.failed(trimmed.split(/\s/, 1)[0] ?? '', error, signal, where);
    }
    return this.runWords(words, signal, where);
  }

  /** Runs a command given as words (the one-shot command line). */
  async runWords(words: string[], signal: AbortSignal, where = ''): Promise<number> {
    const [name = '', ...rest] = words;
    try {
      const command = commandOrUsage(name);
      const args = parseArgs(name, rest, command.flags);
      const [min, max] = command.args;
      if (args.positional.length < min || args.positional.length > max) {
        throw new UsageError(`usage: ${command.name} ${command.usage}`.trimEnd());
      }
      if (command.writes === true && this.options.readOnly) {
        throw new RefusedError(undefined, 'refused: the shell is read-only (--read-only)');
      }
      const running = command.run(this.context(signal), args);
      await (command.endsOnInterrupt === true ? running : untilInterrupted(running, signal));
      return EXIT_OK;
    } catch (error) {
      return this.failed(name, error, signal, where);
    }
  }

  private failed(name: string, error: unknown, signal: AbortSignal, where: string): number {
    const shown = signal.aborted ? new Error('interrupted') : error;
    this.options.out.error(`${where}${errorLine(name, shown)}`);
    return exitCodeOf(error);
  }

  private context(signal: AbortSignal): ShellContext {
    return new CommandRun(this, this.options, signal);
  }
}

/** What one command sees of its shell. */
class CommandRun implements ShellContext {
  constructor(
    private readonly shell: Shell,
    private readonly options: ShellOptions,
    readonly signal: AbortSignal,
  ) {}

  get client(): ZkClient {
    return this.options.client;
  }
  get out(): ShellOutput {
    return this.options.out;
  }
  get connectString(): string {
    return this.options.connectString;
  }
  get identities(): string[] {
    return this.shell.identities;
  }
  get canAsk(): boolean {
    return this.options.canAsk;
  }
  get cwd(): string {
    return this.shell.cwd;
  }
  set cwd(path: string) {
    this.shell.cwd = path;
  }
  resolve(path: string | undefined): string {
    return resolvePath(this.shell.cwd, path);
  }
  confirm(question: string): Promise<boolean> {
    return this.options.confirm(question);
  }
  requestExit(): void {
    this.shell.exitRequested = true;
  }
}

/**
 * The command's own promise, or a rejection as soon as Ctrl+C aborts the signal: a request
 * waiting for a lost connection gives the prompt back at once. What it was waiting for may
 * still happen; its outcome is dropped.
 */
function untilInterrupted(running: Promise<void>, signal: AbortSignal): Promise<void> {
  running.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new Error('interrupted'));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new Error('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Real terminals for tests: each is a tmux window (Debian's `tmux`, installed through apt-get
 * when missing and this runs as root) running one command line. A test types into it with
 * `send-keys` and reads the screen with `capture-pane`, as a user would see it. Every test
 * file gets a tmux server of its own (its own socket), killed after the file whatever the
 * tests did: tmux then hangs up on every program still running in it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ensureProgram } from '@zk-lab/deploy';

const run = promisify(execFile);

export interface TerminalOptions {
  /** Columns and rows of the terminal (default 120 x 40). */
  cols?: number;
  rows?: number;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

export class Terminal {
  constructor(
    private readonly socket: string,
    /** The tmux target: session:window.pane. */
    readonly target: string,
    private readonly statusFile: string,
  ) {}

  /** Types `text` as it is (no key names): `type('ls /')`. */
  async type(text: string): Promise<void> {
    await tmux(this.socket, ['send-keys', '-t', this.target, '-l', text]);
  }

  /** Presses keys by tmux's names: `press('Enter')`, `press('Tab')`, `press('C-c')`, `press('Down')`. */
  async press(...keys: string[]): Promise<void> {
    await tmux(this.socket, ['send-keys', '-t', this.target, ...keys]);
  }

  /** The screen as text, one line per row, trailing spaces trimmed. */
  async screen(): Promise<string> {
    const { stdout } = await tmux(this.socket, ['capture-pane', '-p', '-t', this.target]);
    return stdout;
  }

  /** The screen with its colours and attributes as escape sequences (`capture-pane -e`). */
  async styledScreen(): Promise<string> {
    const { stdout } = await tmux(this.socket, ['capture-pane', '-p', '-e', '-t', this.target]);
    return stdout;
  }

  /**
   * Waits until the screen matches; returns that screen. On timeout, fails with the last
   * screen in the message, so a failing test shows what the user would have seen.
   */
  async waitForScreen(
    pattern: RegExp | string | ((screen: string) => boolean),
    timeoutMs = 15_000,
    styled = false,
  ): Promise<string> {
    const matches =
      typeof pattern === 'function'
        ? pattern
        : typeof pattern === 'string'
          ? (s: string) => s.includes(pattern)
          : (s: string) => pattern.test(s);
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = styled ? await this.styledScreen() : await this.screen();
      if (matches(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${String(pattern)} on the screen:\n${last}`,
        );
      }
      await sleep(50);
    }
  }

  /** True while the command still runs. */
  running(): boolean {
    return !existsSync(this.statusFile);
  }

  /**
   * Waits until the command ends; returns its exit status (128 + the signal's number when a
   * signal ended it). The status is written by the shell that ran the command: tmux's own
   * `pane_dead_status` is at times never filled in when the tmux server runs under Jest.
   */
  async waitForExit(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = existsSync(this.statusFile) ? readFileSync(this.statusFile, 'utf8') : '';
      if (status.endsWith('\n')) return Number(status.trim());
      if (Date.now() > deadline) {
        throw new Error(`the command still runs after ${timeoutMs} ms:\n${await this.screen()}`);
      }
      await sleep(50);
    }
  }
}

async function tmux(socket: string, args: string[]): Promise<{ stdout: string }> {
  const { stdout } = await run('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  return { stdout };
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

let files = 0;

/**
 * Terminals for this test file. `open(argv)` starts a command in a new terminal; the tmux
 * server and everything in it are killed after the file (afterAll).
 */
export function useTerminals(): {
  open(argv: string[], options?: TerminalOptions): Promise<Terminal>;
} {
  const socket = `zk-lab-test-${process.pid}-${++files}`;
  let started = false;
  let windows = 0;
  const statusFiles: string[] = [];

  afterAll(async () => {
    for (const file of statusFiles) rmSync(file, { force: true });
    if (!started) return;
    await tmux(socket, ['kill-server']).catch(() => undefined);
    // tmux leaves its socket file behind.
    const uid = process.getuid?.() ?? 0;
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${uid}`, socket), { force: true });
  });

  return {
    async open(argv, options = {}) {
      ensureProgram('tmux', 'tmux');
      const { cols = 120, rows = 40, env = {}, cwd = process.cwd() } = options;
      const name = `t${++windows}`;
      const exports = Object.entries({ TERM: 'xterm-256color', ...env }).map(
        ([key, value]) => `${key}=${shellQuote(value)}`,
      );
      const statusFile = join(tmpdir(), `${socket}-${name}.status`);
      rmSync(statusFile, { force: true });
      statusFiles.push(statusFile);
      const command = `env ${exports.join(' ')} ${argv.map(shellQuote).join(' ')}; echo $? > ${statusFile}`;
      const args = ['-x', String(cols), '-y', String(rows), '-c', cwd];
      if (!started) {
        // The config keeps a finished command's last screen readable, as a terminal would.
        const config = join(tmpdir(), `${socket}.conf`);
        writeFileSync(config, 'set-option -g remain-on-exit on\nset-option -g status off\n');
        await tmux(socket, [
          '-f',
          config,
          'new-session',
          '-d',
          '-s',
          'tests',
          '-n',
          name,
          ...args,
          command,
        ]);
        started = true;
        rmSync(config, { force: true });
      } else {
        await tmux(socket, ['new-window', '-d', '-t', 'tests', '-n', name, '-c', cwd, command]);
        await tmux(socket, [
          'resize-window',
          '-t',
          `tests:${name}`,
          '-x',
          String(cols),
          '-y',
          String(rows),
        ]);
      }
      return new Terminal(socket, `tests:${name}.0`, statusFile);
    },
  };
}

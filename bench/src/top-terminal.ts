/**
 * `bench top`'s real terminal: one tmux server of its own (`tmux -L <socket>`, Debian's
 * tmux) with one window running one command, read with `capture-pane` and typed into with
 * `send-keys`, as test/src/harness/terminals.ts does for the tests (that module is Jest's:
 * its clean-up is an afterAll, so it is not imported here). `kill()` ends the tmux server
 * and with it every program in it; the bench calls it at the end whatever happened.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { ensureProgram } from '@zk-lab/deploy';

const run = promisify(execFile);
const SESSION = 'bench';

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One screen as read: the text with its styles (SGR sequences), and when it was read. */
export interface Capture {
  styled: string;
  /** performance.now() when capture-pane was called and when it answered. */
  asked: number;
  answered: number;
}

/** The screen's text without its styles. */
// eslint-disable-next-line no-control-regex -- the escape sequences are what it removes
const SGR = /\x1b\[([0-9;]*)m/g;

export const plain = (styled: string): string => styled.replace(SGR, '');

export class BenchTerminal {
  readonly socket = `zk-lab-bench-top-${process.pid}`;
  private started = false;

  /** Starts `argv` (exec'd, so the pane's pid is the program's) in a cols × rows window. */
  async open(
    argv: string[],
    options: { cols: number; rows: number; env: Record<string, string>; cwd: string },
  ): Promise<void> {
    ensureProgram('tmux', 'tmux');
    const exports = Object.entries({ TERM: 'xterm-256color', ...options.env }).map(
      ([key, value]) => `${key}=${shellQuote(value)}`,
    );
    const command = `exec env ${exports.join(' ')} ${argv.map(shellQuote).join(' ')}`;
    // remain-on-exit keeps a view's last screen readable if it ends early.
    const config = join(tmpdir(), `${this.socket}.conf`);
    writeFileSync(config, 'set-option -g remain-on-exit on\nset-option -g status off\n');
    this.started = true;
    try {
      await this.tmux([
        '-f',
        config,
        'new-session',
        '-d',
        '-s',
        SESSION,
        '-x',
        String(options.cols),
        '-y',
        String(options.rows),
        '-c',
        options.cwd,
        command,
      ]);
    } finally {
      rmSync(config, { force: true });
    }
  }

  /** The pid of the program in the pane, and of the tmux server. */
  async pids(): Promise<{ pane: number; server: number }> {
    const { stdout } = await this.tmux([
      'display-message',
      '-p',
      '-t',
      SESSION,
      '#{pane_pid} #{pid}',
    ]);
    const [pane, server] = stdout.trim().split(' ').map(Number);
    return { pane: pane!, server: server! };
  }

  /** Whether the program in the pane has ended (remain-on-exit keeps the pane). */
  async paneDead(): Promise<boolean> {
    const { stdout } = await this.tmux(['display-message', '-p', '-t', SESSION, '#{pane_dead}']);
    return stdout.trim() === '1';
  }

  async capture(): Promise<Capture> {
    const asked = performance.now();
    const { stdout } = await this.tmux(['capture-pane', '-p', '-e', '-t', SESSION]);
    return { styled: stdout, asked, answered: performance.now() };
  }

  /** Presses keys by tmux's names (`Down`, `Up`, `q`); resolves once tmux has sent them. */
  async press(...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', SESSION, ...keys]);
  }

  /** Ends the tmux server and every program in it; synchronous, for exit paths too. */
  kill(): void {
    if (!this.started) return;
    this.started = false;
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    // tmux leaves its socket file behind.
    const uid = process.getuid?.() ?? 0;
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${uid}`, this.socket), { force: true });
  }

  private async tmux(args: string[]): Promise<{ stdout: string }> {
    const { stdout } = await run('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    return { stdout };
  }
}

/**
 * The screen row (0 = the title) of the tree's selected node: the first row after the title
 * drawn in inverse video (SGR 7), or -1 when none is.
 */
export function selectedRow(styled: string): number {
  const rows = styled.split('\n');
  for (let i = 1; i < rows.length; i++) {
    for (const match of rows[i]!.matchAll(SGR)) {
      if (match[1]!.split(';').includes('7')) return i;
    }
  }
  return -1;
}

/** A process's CPU time (user + system) in ms and resident memory in bytes, from /proc. */
export function procUsage(pid: number): { cpuMs: number; rssBytes: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const rssPages = Number(fields[21]); // rss (field 24)
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS, rssBytes: rssPages * PAGE_BYTES };
  } catch {
    return null;
  }
}

function getconf(name: string, fallback: number): number {
  const result = spawnSync('getconf', [name], { encoding: 'utf8' });
  const n = Number(result.stdout?.trim());
  return result.status === 0 && Number.isInteger(n) && n > 0 ? n : fallback;
}

const CLOCK_TICKS = getconf('CLK_TCK', 100);
const PAGE_BYTES = getconf('PAGESIZE', 4096);

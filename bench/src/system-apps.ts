/**
 * The app processes of `bench system`: masters, workers and producer runs, each the built
 * `apps/<name>/dist/main.js` as a process of its own. Every line an app prints goes to its
 * log file: a service's stdout is the file itself (the bench does not carry its log lines,
 * which would put the bench's CPU into what it measures); a CLI's is read through a pipe,
 * since the bench wants its output. Pino lines at warn or above are tallied per app id from
 * the files, so the report can say what the system complained about. The fleet knows every process it started and stops
 * them all by pid; its pid file lets the orphan reaper do the same if the bench dies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  existsSync,
  openSync,
  readFileSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';

export type AppName = 'master' | 'worker' | 'producer';
export const APP_NAMES: readonly AppName[] = ['master', 'worker', 'producer'];

/** The apps are not built: bootstrap (npm run bench builds them) did not run. */
export class AppNotBuiltError extends Error {
  override readonly name = 'AppNotBuiltError';
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export const describeExit = (exit: Exit): string =>
  exit.signal === null ? `exit ${exit.code}` : `killed by ${exit.signal}`;

/** Log lines at warn (40) or above of one app id, across its restarts. */
export interface LogTally {
  warn: number;
  error: number;
  /** Each distinct message at warn or above, with how often it was logged. */
  messages: Map<string, number>;
}

interface PinoLine {
  level?: unknown;
  msg?: unknown;
}

/**
 * ZK_LAB_BENCH_NODE_ARGS: node options for every app, say `--cpu-prof --cpu-prof-dir=D` to
 * see where an app's CPU goes (NODE_OPTIONS refuses --cpu-prof). With them, an app is
 * stopped with SIGTERM first, so that it can write its profile.
 */
const NODE_ARGS = (process.env['ZK_LAB_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

const PINO_WARN = 40;
const PINO_ERROR = 50;

export class AppProcess {
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private readonly stdoutLines: string[] = [];
  private readonly stderrLines: string[] = [];

  constructor(
    readonly name: AppName,
    readonly id: string,
    readonly httpPort: number | null,
    private readonly child: ChildProcess,
    /** The app's log file: its stdout (pino lines), and its stderr marked [stderr]. */
    readonly logPath: string,
    log: WriteStream,
    keepStdout: boolean,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal };
        log.end(`-- ${describeExit(this.exit)}\n`);
        resolve(this.exit);
      });
    });
    child.once('error', (error) => log.write(`-- could not start: ${error.message}\n`));
    if (keepStdout) {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        log.write(`${line}\n`);
        this.stdoutLines.push(line);
      });
    }
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.write(`[stderr] ${line}\n`);
      this.stderrLines.push(line);
      if (this.stderrLines.length > 50) this.stderrLines.shift();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === null;
  }

  get stdout(): string {
    return this.stdoutLines.join('\n');
  }

  /** The last lines on stderr, for error messages. */
  stderrTail(lines = 10): string {
    return this.stderrLines.slice(-lines).join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // it ended meanwhile
    }
  }

  /** SIGKILL (after a SIGCONT, in case it was stopped), and its exit. */
  async stop(): Promise<Exit> {
    if (NODE_ARGS.length > 0 && this.running) {
      this.signal('SIGTERM');
      await Promise.race([this.exited, sleep(5_000)]);
    }
    if (this.running && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGCONT');
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    return this.exited;
  }

  /** GET a path of the service's HTTP API as JSON; null when it does not answer. */
  async getJson<T>(path: string, timeoutMs = 2_000): Promise<T | null> {
    if (this.httpPort === null || !this.running) return null;
    try {
      const response = await fetch(`http://127.0.0.1:${this.httpPort}${path}`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) return null;
      return (await response.json()) as T;
    } catch {
      return null;
    }
  }
}

function tallyLine(line: string, tally: LogTally): void {
  let parsed: PinoLine;
  try {
    parsed = JSON.parse(line) as PinoLine;
  } catch {
    return;
  }
  if (typeof parsed.level !== 'number' || parsed.level < PINO_WARN) return;
  if (parsed.level >= PINO_ERROR) tally.error++;
  else tally.warn++;
  const msg = typeof parsed.msg === 'string' ? parsed.msg : '(no msg)';
  tally.messages.set(msg, (tally.messages.get(msg) ?? 0) + 1);
}

export class AppFleet {
  private readonly processes = new Set<AppProcess>();
  /** Each app's log file, by the id it is tallied as. */
  private readonly logs: { tallyAs: string; path: string }[] = [];
  private started = 0;

  constructor(
    private readonly repoDir: string,
    private readonly env: Record<string, string>,
    readonly logDir: string,
    /** Rewritten with every start: the pids the orphan reaper kills if the bench dies. */
    private readonly pidFile: string,
  ) {}

  /** The main.js of each app, which the orphan reaper checks a pid's command line for. */
  mains(): string[] {
    return APP_NAMES.map((name) => this.main(name));
  }

  private main(name: AppName): string {
    return join(this.repoDir, 'apps', name, 'dist', 'main.js');
  }

  /**
   * Starts an app. `tallyAs` names it in the log tally (a master keeps its id across
   * restarts); `httpPort` is passed as --http-port.
   */
  start(
    name: AppName,
    args: string[],
    options: { tallyAs: string; httpPort?: number; keepStdout?: boolean },
  ): AppProcess {
    const main = this.main(name);
    if (!existsSync(main)) {
      throw new AppNotBuiltError(`${main} is missing: build first (npm run bench builds)`);
    }
    const httpArgs =
      options.httpPort === undefined ? [] : ['--http-port', String(options.httpPort)];
    this.started++;
    const logPath = join(
      this.logDir,
      `${options.tallyAs}.${String(this.started).padStart(3, '0')}.log`,
    );
    const keepStdout = options.keepStdout ?? false;
    // A service writes its stdout to the file itself; both writers append.
    const stdoutFile = keepStdout ? null : openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...NODE_ARGS, main, ...args, ...httpArgs], {
        env: { ...process.env, ...this.env },
        stdio: ['ignore', stdoutFile ?? 'pipe', 'pipe'],
      });
    } finally {
      if (stdoutFile !== null) closeSync(stdoutFile);
    }
    const log = createWriteStream(logPath, { flags: 'a' });
    this.logs.push({ tallyAs: options.tallyAs, path: logPath });
    const app = new AppProcess(
      name,
      options.tallyAs,
      options.httpPort ?? null,
      child,
      logPath,
      log,
      keepStdout,
    );
    this.processes.add(app);
    this.writePids();
    void app.exited.then(() => {
      this.processes.delete(app);
      this.writePids();
    });
    return app;
  }

  /** Runs a CLI to its end (SIGKILLed after `timeoutMs`). */
  async run(
    name: AppName,
    args: string[],
    tallyAs: string,
    timeoutMs: number,
  ): Promise<{ app: AppProcess; exit: Exit; timedOut: boolean }> {
    const app = this.start(name, args, { tallyAs, keepStdout: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void app.stop();
    }, timeoutMs);
    const exit = await app.exited;
    clearTimeout(timer);
    return { app, exit, timedOut };
  }

  /** Pino lines at warn or above in each app id's log files, read now. */
  tallies(): Map<string, LogTally> {
    const tallies = new Map<string, LogTally>();
    for (const { tallyAs, path } of this.logs) {
      let tally = tallies.get(tallyAs);
      if (tally === undefined) {
        tally = { warn: 0, error: 0, messages: new Map() };
        tallies.set(tallyAs, tally);
      }
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue; // the run folder is gone
      }
      for (const line of text.split('\n')) if (line.startsWith('{')) tallyLine(line, tally);
    }
    return tallies;
  }

  /** The processes running now. */
  running(): AppProcess[] {
    return [...this.processes].filter((app) => app.running);
  }

  /** SIGKILLs every process still running and waits for them all. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.processes].map((app) => app.stop()));
  }

  private writePids(): void {
    const pids = [...this.processes].map((app) => app.pid).filter((pid) => pid !== undefined);
    try {
      writeFileSync(this.pidFile, `${pids.join('\n')}\n`);
    } catch {
      // the run folder is gone: the bench is ending
    }
  }
}

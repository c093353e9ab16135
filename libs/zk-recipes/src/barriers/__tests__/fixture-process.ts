/**
 * Test support (not a test, not built): runs a fixture of `libs/zk-recipes/fixtures/` as a
 * real Node process, reads the JSON lines it reports, writes commands to its stdin, and
 * kills it (by its pid, through its ChildProcess) if a test ends before it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const LIBRARY = join(__dirname, '..', '..', '..');

/** One line a fixture reported, with the time this process read it. */
export interface Report {
  readonly event: string;
  readonly receivedAt: number;
  readonly [field: string]: unknown;
}

/** Fails clearly when the fixtures cannot load the library (they run the built dist/). */
export function requireBuiltLibrary(): void {
  const built = join(LIBRARY, 'dist', 'index.js');
  if (!existsSync(built)) {
    throw new Error(
      `${built} is missing: the fixtures run the built library. Run npm run build ` +
        '(npm test builds before jest).',
    );
  }
}

export class FixtureProcess {
  readonly reports: Report[] = [];
  private stderr = '';
  private readonly waiters: (() => void)[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    fixture: string,
    args: readonly string[],
  ) {
    this.child = spawn(process.execPath, [join(LIBRARY, 'fixtures', fixture), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        this.wakeAll();
        resolve(code);
      });
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        this.stderr += `(unparsed stdout) ${line}\n`;
        return;
      }
      this.reports.push({ ...(parsed as { event: string }), receivedAt: Date.now() });
      this.wakeAll();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    // A fixture that died early makes writes fail with EPIPE: the test reports that better.
    this.child.stdin!.on('error', () => undefined);
  }

  /** Every process spawned and not yet reaped, so a test can kill what it left. */
  static readonly running = new Set<FixtureProcess>();

  static spawn(name: string, fixture: string, args: readonly string[]): FixtureProcess {
    const process = new FixtureProcess(name, fixture, args);
    FixtureProcess.running.add(process);
    void process.exited.then(() => FixtureProcess.running.delete(process));
    return process;
  }

  /** SIGKILLs every fixture still running and waits for each to exit. */
  static async killAll(): Promise<void> {
    await Promise.all([...FixtureProcess.running].map((process) => process.kill()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** The reports of one event. */
  events(event: string): Report[] {
    return this.reports.filter((report) => report.event === event);
  }

  /** The first report (already read or to come) that matches; fails after `timeoutMs`. */
  async next(
    what: string,
    match: (report: Report) => boolean,
    timeoutMs = 20_000,
  ): Promise<Report> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.find(match);
      if (found !== undefined) return found;
      if (!this.alive) {
        throw new Error(`${this.name} exited (${this.exitCode}) before ${what}\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.name}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first report of `event`. */
  event(event: string, timeoutMs?: number): Promise<Report> {
    return this.next(`"${event}"`, (report) => report.event === event, timeoutMs);
  }

  send(command: string): void {
    this.child.stdin!.write(`${command}\n`);
  }

  /** Closes its stdin (the fixtures stop on it) and waits for the exit code. */
  async finish(): Promise<number | null> {
    this.child.stdin!.end();
    return this.exited;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }

  get errorOutput(): string {
    return this.stderr;
  }

  private wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

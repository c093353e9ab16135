/**
 * Real app processes for tests: the built `apps/<name>/dist/main.js`, spawned with the
 * environment the test gives (usually its connect string and root). Every process a test file
 * starts is SIGKILLed after the file (after a SIGCONT, in case it was paused), whatever
 * the tests did; `stop()` ends one earlier.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './waiting';

export type AppName = 'master' | 'worker' | 'producer' | 'config-updater';

/** One pino log line, parsed. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How a CLI run ended, and all it printed (as printed: line ends and `\r` kept). */
export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Added to the runner's base environment. */
  env?: Record<string, string>;
  /** Written to the process's stdin, which is then closed. */
  stdin?: string;
  /** The process is SIGKILLed past this (default 60 s). */
  timeoutMs?: number;
}

export function appMain(name: AppName): string {
  const main = resolve(__dirname, '..', '..', '..', 'apps', name, 'dist', 'main.js');
  if (!existsSync(main)) {
    throw new Error(
      `${main} is missing: build first (npm test builds; or npx nx run-many -t build)`,
    );
  }
  return main;
}

export class AppProcess {
  readonly logs: LogLine[] = [];
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private readonly text = { stdout: '', stderr: '' };

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) =>
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal };
        done(this.exit);
      }),
    );
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.setEncoding('utf8').on(
        'data',
        (chunk: string) => (this.text[stream] += chunk),
      );
    }
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.stdout.push(line);
      if (line.startsWith('{')) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** All it printed so far, as printed (the line arrays drop line ends and split on `\r`). */
  get output(): { stdout: string; stderr: string } {
    return { ...this.text };
  }

  /** Its exit and all it printed, once it has exited. */
  async result(): Promise<RunResult> {
    return { ...(await this.exited), ...this.output };
  }

  /** The first log line that matches, waiting for it. */
  async waitForLog(
    what: string,
    match: (line: LogLine) => boolean,
    timeoutMs = 20_000,
  ): Promise<LogLine> {
    await waitFor(
      `${this.name}: ${what}`,
      () => {
        if (!this.running && !this.logs.some(match)) {
          throw new Error(
            `${this.name} exited (${JSON.stringify(this.exit)}) before ${what}\n${this.tail()}`,
          );
        }
        return this.logs.some(match);
      },
      timeoutMs,
    );
    return this.logs.find(match)!;
  }

  /** The HTTP port the service logged at start. */
  async port(): Promise<number> {
    const line = await this.waitForLog('HTTP listening', (l) => l.msg.startsWith('HTTP on'));
    return line.port as number;
  }

  /** GET a path of the service's HTTP API. */
  async get(path: string): Promise<{ status: number; body: string; json<T>(): T }> {
    const response = await fetch(`http://127.0.0.1:${await this.port()}${path}`);
    const body = await response.text();
    return { status: response.status, body, json: <T>() => JSON.parse(body) as T };
  }

  /** GET a JSON resource; fails unless the answer is 200. */
  async getJson<T>(path: string): Promise<T> {
    const answer = await this.get(path);
    if (answer.status !== 200) {
      throw new Error(`${this.name}: GET ${path}: ${answer.status} ${answer.body}`);
    }
    return answer.json<T>();
  }

  /** The value of one sample of /metrics, matched by name and labels. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const { body } = await this.get('/metrics');
    for (const line of body.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** SIGKILLs the process (after a SIGCONT) and waits for its exit. */
  async stop(): Promise<Exit> {
    if (this.running) {
      process.kill(this.pid, 'SIGCONT');
      process.kill(this.pid, 'SIGKILL');
    }
    return this.exited;
  }

  /** The last lines it printed, for failure messages. */
  tail(lines = 20): string {
    return [...this.stdout.slice(-lines), ...this.stderr.slice(-lines)].join('\n');
  }
}

export interface AppRunner {
  /** Starts an app; it runs until the test stops it or the file ends. */
  start(name: AppName, args?: string[], env?: Record<string, string>): AppProcess;
  /** Runs a CLI to its end: exit and output. */
  run(name: AppName, args: string[], options?: RunOptions): Promise<RunResult>;
}

/**
 * App processes for this test file (or describe block), with `baseEnv()` (connect string,
 * root, ...) in their environment, or only the test's own environment without it; each is
 * SIGKILLed after the file (block) if still running.
 */
export function useApps(baseEnv: () => Record<string, string> = () => ({})): AppRunner {
  const started: AppProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop()));
  }, 30_000);
  const start = (name: AppName, args: string[] = [], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [appMain(name), ...args], {
      env: { ...process.env, ...baseEnv(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const app = new AppProcess(`${name}[${child.pid}]`, child);
    started.push(app);
    return app;
  };
  return {
    start,
    async run(name, args, { env = {}, stdin = '', timeoutMs = 60_000 } = {}) {
      const app = start(name, args, env);
      // A CLI may exit without reading its stdin: the EPIPE is no failure of the test.
      app.child.stdin!.on('error', () => undefined).end(stdin);
      const timer = setTimeout(() => void app.stop(), timeoutMs);
      const result = await app.result();
      clearTimeout(timer);
      return result;
    },
  };
}

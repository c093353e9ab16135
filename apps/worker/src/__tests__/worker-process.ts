/**
 * The built worker (dist/main.js) as a real process, for tests: its JSON log lines, its
 * HTTP port (from the "HTTP on" line), signals, and a stop that always kills it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { sharedConnectString, waitFor } from '@zk-lab/test';

export const WORKER_MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

export function requireBuiltWorker(): void {
  if (!existsSync(WORKER_MAIN)) {
    throw new Error(
      `${WORKER_MAIN} is missing: build it first (npx nx run @zk-lab/worker:build, or npm run build)`,
    );
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the worker to completion (usage errors, --help). */
export function runWorker(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [WORKER_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export class WorkerProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private port = 0;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolveExit(this.exit);
      }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ level: 0, msg: line });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Starts a worker on the shared ensemble under `root` and waits for its HTTP port. */
  static async start(root: string, args: string[]): Promise<WorkerProcess> {
    requireBuiltWorker();
    const child = spawn(process.execPath, [WORKER_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ZK_CONNECT: sharedConnectString(), ZK_ROOT: root },
    });
    const worker = new WorkerProcess(child);
    try {
      await worker.waitForLog('the HTTP line', (line) => line.msg.startsWith('HTTP on'));
    } catch (error) {
      await worker.stop();
      throw error;
    }
    const line = worker.lines.find((l) => l.msg.startsWith('HTTP on'))!;
    worker.port = line.port as number;
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${this.url}${path}`);
    return { status: response.status, text: await response.text() };
  }

  async getJson<T>(path: string): Promise<T> {
    const { status, text } = await this.get(path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** The value of one sample of /metrics, matched by name and labels. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const { text } = await this.get('/metrics');
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  }

  async waitForLog(
    what: string,
    match: (line: LogLine) => boolean,
    timeoutMs = 20_000,
  ): Promise<LogLine> {
    await waitFor(
      `${what} in the worker's log`,
      () => {
        if (this.exit !== null) {
          throw new Error(
            `the worker exited (${JSON.stringify(this.exit)}) while waiting for ${what}\n` +
              `${this.stderr}\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}`,
          );
        }
        return this.lines.some(match);
      },
      timeoutMs,
    );
    return this.lines.find(match)!;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exit === null) process.kill(this.pid, signal);
  }

  /** Kills the process whatever its state (also a stopped one), and waits for its exit. */
  async stop(): Promise<Exit> {
    if (this.exit === null) {
      process.kill(this.pid, 'SIGKILL');
    }
    return this.exited;
  }

  /** The log, for a failing assertion's message. */
  dump(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}

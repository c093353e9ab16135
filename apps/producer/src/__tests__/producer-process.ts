/**
 * The producer as the user runs it: the built CLI (`dist/main.js`) in a process of its own.
 * Every process started here is tracked, so a test file can kill what is left (by pid)
 * whatever its tests did.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const PRODUCER_MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

/** Fails with what to do when the CLI was not built. */
export function assertProducerBuilt(): void {
  if (!existsSync(PRODUCER_MAIN)) {
    throw new Error(
      `${PRODUCER_MAIN} is missing: build it first (npx nx run @zk-lab/producer:build)`,
    );
  }
}

export interface ProducerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

export class ProducerProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<ProducerExit>;

  constructor(args: string[], env: Record<string, string>, timeoutMs: number) {
    this.child = spawn(process.execPath, [PRODUCER_MAIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    this.exited = new Promise((resolveExit, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(this.child);
        resolveExit({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }
}

/** Starts the CLI and returns at once. */
export function startProducer(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): ProducerProcess {
  return new ProducerProcess(args, env, timeoutMs);
}

/** Runs the CLI to its end. */
export function runProducer(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ProducerExit> {
  return startProducer(args, env, timeoutMs).exited;
}

/** Kills every producer still running (afterEach / afterAll). */
export function killRunningProducers(): void {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }
}

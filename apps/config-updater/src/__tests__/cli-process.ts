/**
 * The config updater as the user runs it: the built entry point, as a real process, against
 * the shared ensemble. Every process started here is killed by pid when a test file ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectToNamespace, loadCredentials, resolveConnection } from '@zk-lab/lab-core';
import { sharedConnectString } from '@zk-lab/test';
import type { ZkClient } from '@zk-lab/zk-client';

export const MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  root: string;
  env?: Record<string, string>;
  stdin?: string;
}

const running = new Set<ChildProcess>();

/** Fails the file at once, with the fix, when the CLI was not built. */
export function requireBuiltCli(): void {
  beforeAll(() => {
    if (!existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing: run \`npx nx run @zk-lab/config-updater:build\` first`);
    }
  });
  afterAll(() => {
    for (const child of running) {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }
    running.clear();
  });
}

/** Runs one command line to its end (killed after 30 s). */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ZK_CONNECT: sharedConnectString(),
    ZK_ROOT: options.root,
    FORCE_COLOR: '0',
    ...options.env,
  };
  const child = spawn(process.execPath, [MAIN, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolveRun, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** `get --json`, parsed; fails the test when it does not exit 0. */
export async function getJson(root: string): Promise<Record<string, unknown>> {
  const result = await runCli(['get', '--json'], { root });
  if (result.code !== 0) throw new Error(`get failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** An in-process client on the test's namespace, as the app or admin identity. */
export function connectAs(role: 'app' | 'admin', root: string): Promise<ZkClient> {
  const settings = resolveConnection({ connect: sharedConnectString(), root }, {});
  return connectToNamespace(settings, loadCredentials(role, {}));
}

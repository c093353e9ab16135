/**
 * `lab monitor` as the user runs it (the built entry point, as a process), on an ensemble the
 * lab did not start: no ZK_CONNECT, and a lab state folder that holds nothing.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fourLetterWord, parseSrvr, type Ensemble } from '@zk-lab/deploy';
import { MAIN } from '../../__tests__/lab-processes';
import type { MonitorDocument } from '../monitor-document';

const EMPTY_STATE = mkdtempSync(join(tmpdir(), 'zk-lab-monitor-nostate-'));

/** This process's environment without ZK_CONNECT, with a lab state folder that holds nothing. */
export function noLabEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ZK_LAB_STATE: EMPTY_STATE };
  delete env.ZK_CONNECT;
  return env;
}

export interface MonitorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `lab monitor ARGS` to its end. */
export function monitor(args: string[]): Promise<MonitorRun> {
  const started = Date.now();
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [MAIN, 'monitor', ...args],
      { encoding: 'utf8', timeout: 30_000, env: noLabEnv() },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolveRun({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** Runs `lab monitor --json ARGS` once and parses its document. */
export async function monitorJson(
  args: string[],
): Promise<{ code: number | null; doc: MonitorDocument }> {
  const run = await monitor(['--json', ...args]);
  if (run.stdout === '')
    throw new Error(`lab monitor printed nothing (${run.code}): ${run.stderr}`);
  return { code: run.code, doc: JSON.parse(run.stdout) as MonitorDocument };
}

/** A `lab monitor --watch` left running; its JSON lines as they come. */
export class WatchingMonitor {
  readonly docs: MonitorDocument[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  readonly exit: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [MAIN, 'monitor', ...args], { env: noLabEnv() });
    createInterface({ input: this.child.stdout }).on('line', (line) =>
      this.docs.push(JSON.parse(line) as MonitorDocument),
    );
    this.exit = new Promise((resolveExit) => this.child.once('exit', (code) => resolveExit(code)));
  }
}

/** The server that says it leads, asked by the test itself (`srvr`), as `host:port`. */
export async function leaderBySrvr(ensemble: Ensemble): Promise<string | null> {
  const modes = await modesBySrvr(ensemble);
  const at = modes.findIndex((mode) => mode === 'leader' || mode === 'standalone');
  return at === -1 ? null : `127.0.0.1:${ensemble.nodes[at]!.clientPort}`;
}

/** Each server's mode by `srvr`, null for one that does not answer or serve. */
export async function modesBySrvr(ensemble: Ensemble): Promise<(string | null)[]> {
  return Promise.all(
    ensemble.nodes.map(async (node) => {
      const text = await fourLetterWord('127.0.0.1', node.clientPort, 'srvr', 2_000).catch(
        () => '',
      );
      return parseSrvr(text)?.mode ?? null;
    }),
  );
}

/** Requests each server has received, by `srvr` (a reset would make one fall). */
export async function receivedBySrvr(ensemble: Ensemble): Promise<number[]> {
  return Promise.all(
    ensemble.nodes.map(async (node) => {
      const report = parseSrvr(await fourLetterWord('127.0.0.1', node.clientPort, 'srvr', 2_000));
      if (report === null) throw new Error(`server ${node.id} does not serve`);
      return report.received;
    }),
  );
}

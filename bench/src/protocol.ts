/**
 * What the bench (main.ts) and its drivers (one child process per client: drivers/*.ts
 * and java/ZkBench.java) say to each other.
 *
 * A driver gets a DriverConfig, reads commands on stdin (one round each, see
 * runNodeDriver), writes one JSON Message per line on stdout and progress lines for a
 * person on stderr. Each client runs in a fresh process of its own, so no
 * client shares an event loop, a heap or a JIT with another.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

export type Metric = 'create' | 'multi';

export interface DriverConfig {
  connect: string;
  /** Creates per round. */
  creates: number;
  /** 3-op transactions per round. */
  multis: number;
  /** Operations in flight at most. */
  window: number;
  /** Bytes of data per node. */
  dataBytes: number;
  sessionTimeoutMs: number;
  /** The client's own folder (e.g. /zk-lab-bench-<run>/ours); each round works under a fresh child. */
  root: string;
}

export type Message =
  | { type: 'info'; client: string; version: string }
  | {
      type: 'result';
      metric: Metric;
      round: number;
      warmup: boolean;
      ops: number;
      ms: number;
      /** CPU time of the driver's whole process (every thread) over the timed part. */
      cpuMs?: number;
    }
  | { type: 'skipped'; metric: Metric; reason: string }
  | { type: 'error'; metric: Metric | null; round: number | null; message: string }
  | { type: 'ready' }
  | { type: 'done' };

/** The operations a Node driver measures. */
export interface NodeClient {
  /** "create path, persistent" (resolves when the server answered). */
  create(path: string, data: Buffer): Promise<unknown>;
  /**
   * The 3-op transaction on a path: create it (version 0), setData at version 0, delete it
   * at version 1. Undefined when the client has no multi; `skipReason` then says why.
   */
  multi?: (path: string, data: Buffer) => Promise<unknown>;
  skipReason?: string;
  /** Creates a path and its missing parents. */
  ensurePath(path: string): Promise<void>;
  close(): Promise<void>;
}

export function emit(message: Message): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Runs `total` operations with at most `window` unanswered; resolves with the elapsed ms. */
export function pipelined(
  total: number,
  window: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const start = performance.now();
    const launch = (): void => {
      while (!failed && next < total && next - done < window) {
        const i = next++;
        op(i).then(
          () => {
            done++;
            if (done === total) resolve(performance.now() - start);
            else launch();
          },
          (error: unknown) => {
            failed = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
    };
    if (total === 0) resolve(0);
    else launch();
  });
}

function progress(client: string, line: string): void {
  process.stderr.write(`[bench ${client}] ${line}\n`);
}

/**
 * The driver loop, the same as ZkBench.java's: connect, say `ready`, then run one round per
 * command line read from stdin (`create 3`, `multi 0`; round 0 is the warm-up, a quarter
 * of the size) until `quit`. main.ts sends the commands, so that the clients' rounds
 * alternate and a slow spell of the machine does not fall on one client only.
 */
export async function runNodeDriver(
  clientName: string,
  version: string,
  connect: (config: DriverConfig) => Promise<NodeClient>,
): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as DriverConfig;
  emit({ type: 'info', client: clientName, version });
  const client = await connect(config);
  const data = Buffer.alloc(config.dataBytes, 'x');
  try {
    await client.ensurePath(config.root);
    const multi = client.multi;
    if (!multi) {
      const reason = client.skipReason ?? 'not available';
      emit({ type: 'skipped', metric: 'multi', reason });
      progress(clientName, `multis skipped: ${reason}`);
    }
    const ops: Record<Metric, ((parent: string, i: number) => Promise<unknown>) | null> = {
      create: (parent, i) => client.create(`${parent}/n-${i}`, data),
      multi: multi ? (parent, i) => multi(`${parent}/m-${i}`, data) : null,
    };
    emit({ type: 'ready' });
    for await (const line of createInterface({ input: process.stdin })) {
      const [word = '', roundText = ''] = line.trim().split(/\s+/);
      if (word === 'quit') break;
      const metric = word as Metric;
      const round = Number(roundText);
      const op = ops[metric];
      if (!(metric in ops) || !Number.isInteger(round) || round < 0) {
        emit({ type: 'error', metric: null, round: null, message: `bad command "${line}"` });
        continue;
      }
      const warmup = round === 0;
      const size = metric === 'create' ? config.creates : config.multis;
      const total = warmup ? Math.max(1, Math.floor(size / 4)) : size;
      const label = metric === 'create' ? 'creates' : 'multis';
      try {
        if (!op) throw new Error('this client has no multi');
        const parent = `${config.root}/${metric}-${warmup ? 'warmup' : `r${round}`}`;
        await client.create(parent, Buffer.alloc(0));
        const cpuBefore = process.cpuUsage();
        const ms = await pipelined(total, config.window, (i) => op(parent, i));
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        emit({ type: 'result', metric, round, warmup, ops: total, ms, cpuMs });
        const rate = (total / (ms / 1000)).toFixed(0);
        const when = warmup ? 'warm-up' : `round ${round}`;
        progress(clientName, `${label} ${when}: ${total} in ${ms.toFixed(0)} ms = ${rate}/s`);
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        emit({ type: 'error', metric, round, message });
        progress(clientName, `${label} round ${round} failed: ${message}`);
      }
    }
  } finally {
    await client.close();
  }
  emit({ type: 'done' });
}

/** For drivers: report a failure before any round as a message, then exit non-zero. */
export function driverMain(run: () => Promise<void>): void {
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      emit({ type: 'error', metric: null, round: null, message });
      process.stderr.write(`${error instanceof Error ? (error.stack ?? message) : message}\n`);
      process.exit(1);
    },
  );
}

/**
 * `npm run bench -- client`: throughput of our client against the official Java client and
 * the `zookeeper` npm binding, on one freshly started 3-server loopback ensemble.
 *
 * bench/run.mjs builds what is needed and calls main() here. Each client runs in a process
 * of its own (drivers/ours.ts, java/ZkBench.java, drivers/binding.ts), one after the other,
 * and reports its rounds as JSON lines (protocol.ts). Every process started here, servers
 * included, is stopped before this returns, on failure and on Ctrl+C too.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Ensemble, ensureZooKeeper, fourLetterWord, parseSrvr } from '@zk-lab/deploy';
import type { ZooKeeperInstall } from '@zk-lab/deploy';
import type { DriverConfig, Message, Metric } from './protocol';

const BENCH_DIR = join(__dirname, '..');
const REPO_DIR = join(BENCH_DIR, '..');
const PEERS_DIR = join(BENCH_DIR, 'peers');
const JAVA_SRC = join(BENCH_DIR, 'java', 'ZkBench.java');
const JAVA_BUILD = join(BENCH_DIR, '.build', 'java');
const ZK_ROOT = '/zk-lab-bench';
const METRICS: readonly Metric[] = ['create', 'multi'];
const CLIENTS = ['ours', 'java', 'binding'] as const;
type ClientId = (typeof CLIENTS)[number];

export const HELP = `Usage: npm run bench                     (every benchmark: see npm run bench -- all --help)
       npm run bench -- client [options]
       npm run bench -- failover [options]   (see npm run bench -- failover --help)
       npm run bench -- system [options]     (see npm run bench -- system --help)
       npm run bench -- pipeline [options]   (see npm run bench -- pipeline --help)
       npm run bench -- locks [options]      (see npm run bench -- locks --help)
       npm run bench -- scale [options]      (see npm run bench -- scale --help)
       npm run bench -- top [options]        (see npm run bench -- top --help)

Measures, on one freshly started 3-server ZooKeeper ensemble on 127.0.0.1, three clients,
each in a process of its own, taking turns within every round:
  ours     @zk-lab/zk-client (this repository, pure TypeScript)
  java     the official Java client, from the server's own jar (bench/java/ZkBench.java,
           compiled with javac on every run into bench/.build/)
  binding  the \`zookeeper\` npm binding (native, over the C client), installed on demand
           with npm ci into bench/peers/node_modules (never by the root npm ci)

Metrics, each pipelined by one client with a window of operations in flight:
  creates/s  persistent nodes of --data-bytes bytes, under a fresh parent per round
  multi/s    3-op transactions: create p, setData p (version 0), delete p (version 1);
             every transaction leaves nothing behind. The binding has no multi: "n/a".

Round 0 is a warm-up (a quarter of the size, reported, not counted); --rounds measured
rounds follow, each starting with the next client. Reported: the median of the rounds,
min–max, and the ratios of ours to the others' medians, with the machine's facts and its
load. The report is printed, and written to bench/results/client-<date>.md and .json (a second run on the same day
replaces them). Progress goes to stderr.

Options:
  --rounds N         measured rounds per client and metric   (default 5)
  --creates N        creates per round                       (default 20000)
  --multis N         3-op transactions per round             (default 10000)
  --window N         operations in flight at most            (default 1000)
  --data-bytes N     bytes of data per node                  (default 100)
  --clients LIST     comma-separated subset of ours,java,binding (default all)
  --heap MB          Java heap per ZooKeeper server          (default 1024)
  --tick MS          ZooKeeper tickTime                      (default 200)
  --out DIR          where the report goes                   (default bench/results)
  --no-save          print the report only
  -h, --help         this text

It takes about 3 minutes on a 2-core machine with the defaults. Ctrl+C stops every
server and process it started.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Options {
  rounds: number;
  creates: number;
  multis: number;
  window: number;
  dataBytes: number;
  clients: ClientId[];
  heapMb: number;
  tickMs: number;
  out: string;
  save: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '5' },
      creates: { type: 'string', default: '20000' },
      multis: { type: 'string', default: '10000' },
      window: { type: 'string', default: '1000' },
      'data-bytes': { type: 'string', default: '100' },
      clients: { type: 'string', default: CLIENTS.join(',') },
      heap: { type: 'string', default: '1024' },
      tick: { type: 'string', default: '200' },
      out: { type: 'string', default: join(BENCH_DIR, 'results') },
      'no-save': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1 || positionals[0] !== 'client') {
    throw new UsageError(
      positionals.length === 0
        ? 'say which benchmark: `client`, `failover`, `system`, `pipeline`, `locks`, `scale` or `top` (each has --help), or none for all'
        : `unknown benchmark "${positionals.join(' ')}": \`client\`, \`failover\`, \`system\`, \`pipeline\`, \`locks\`, \`scale\` or \`top\``,
    );
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      throw new UsageError(`--${name} must be an integer >= ${min}, not "${text}"`);
    }
    return n;
  };
  const clients = values.clients.split(',').map((c) => c.trim());
  for (const c of clients) {
    if (!(CLIENTS as readonly string[]).includes(c)) {
      throw new UsageError(`unknown client "${c}" in --clients: use ${CLIENTS.join(', ')}`);
    }
  }
  return {
    rounds: int('rounds', values.rounds, 1),
    creates: int('creates', values.creates, 1),
    multis: int('multis', values.multis, 1),
    window: int('window', values.window, 1),
    dataBytes: int('data-bytes', values['data-bytes'], 0),
    clients: CLIENTS.filter((c) => clients.includes(c)),
    heapMb: int('heap', values.heap, 64),
    tickMs: int('tick', values.tick, 10),
    out: values.out,
    save: !values['no-save'],
  };
}

const say = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

// ---------------------------------------------------------------------------------------
// Processes: every child is tracked so that a failure or Ctrl+C can stop it.

const children = new Set<ChildProcess>();
/** Set on Ctrl+C or SIGTERM: no new process is started after it. */
let aborted = false;

function stopChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** A command's output, or null when it could not run. */
export function output(command: string, args: string[]): string | null {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) return null;
  return `${result.stdout}${result.stderr}`.trim();
}

// ---------------------------------------------------------------------------------------
// Preparing the peers.

interface Prepared {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

type Preparation =
  { ok: true; run: (config: DriverConfig) => Prepared } | { ok: false; reason: string };

function findJavac(install: ZooKeeperInstall): string | null {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(realpathSync(install.java)), 'javac'));
  } catch {
    // java is a bare name: look on PATH below
  }
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'javac'));
  for (const dir of (process.env.PATH ?? '').split(':'))
    if (dir) candidates.push(join(dir, 'javac'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

function prepareJava(install: ZooKeeperInstall): Preparation {
  const javac = findJavac(install);
  if (!javac) {
    return {
      ok: false,
      reason:
        "no javac next to the servers' java, in JAVA_HOME or on PATH: install a JDK " +
        '(apt-get install -y --no-install-recommends openjdk-17-jdk-headless)',
    };
  }
  rmSync(JAVA_BUILD, { recursive: true, force: true });
  mkdirSync(JAVA_BUILD, { recursive: true });
  const classpath = install.classpath.join(':');
  say(`compiling ${relative(REPO_DIR, JAVA_SRC)} with ${javac}`);
  const result = spawnSync(javac, ['-d', JAVA_BUILD, '-cp', classpath, JAVA_SRC], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    return {
      ok: false,
      reason: `javac failed: ${(result.stderr || result.error?.message || '').trim()}`,
    };
  }
  return {
    ok: true,
    run: (config) => ({
      command: install.java,
      args: [
        '-Xmx1g',
        // Debian's classpath may carry slf4j-simple: keep the client's log lines out.
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
        '-cp',
        `${classpath}:${JAVA_BUILD}`,
        'ZkBench',
        config.connect,
        String(config.creates),
        String(config.multis),
        String(config.window),
        String(config.dataBytes),
        String(config.sessionTimeoutMs),
        config.root,
      ],
    }),
  };
}

function preparePeers(): Preparation {
  const lock = join(PEERS_DIR, 'package-lock.json');
  const marker = join(PEERS_DIR, 'node_modules', '.package-lock.json');
  const addon = join(PEERS_DIR, 'node_modules', 'zookeeper', 'build', 'Release', 'zookeeper.node');
  if (
    !existsSync(marker) ||
    statSync(marker).mtimeMs < statSync(lock).mtimeMs ||
    !existsSync(addon)
  ) {
    say('installing the zookeeper binding into bench/peers (npm ci; it compiles C, ~30 s)');
    const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: PEERS_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr' },
    });
    if (result.status !== 0 || !existsSync(addon)) {
      return {
        ok: false,
        reason:
          'npm ci in bench/peers failed (see above): node-gyp needs python3, make, a C ' +
          'compiler and the Node headers (npm_config_nodedir=/usr)',
      };
    }
  }
  return nodeDriver('binding');
}

function nodeDriver(name: 'ours' | 'binding'): Preparation {
  const script = join(__dirname, 'drivers', `${name}.js`);
  return {
    ok: true,
    run: (config) => ({ command: process.execPath, args: [script, JSON.stringify(config)] }),
  };
}

// ---------------------------------------------------------------------------------------
// Running one driver.

interface ClientRun {
  id: ClientId;
  version: string;
  /** Measured rounds, ops per second, per metric. */
  rates: Record<Metric, number[]>;
  /** Measured rounds, the driver process's CPU microseconds per operation, per metric. */
  cpuUs: Record<Metric, number[]>;
  warmup: Record<Metric, number | null>;
  skipped: Partial<Record<Metric, string>>;
  errors: string[];
}

function emptyRun(id: ClientId): ClientRun {
  return {
    id,
    version: '',
    rates: { create: [], multi: [] },
    cpuUs: { create: [], multi: [] },
    warmup: { create: null, multi: null },
    skipped: {},
    errors: [],
  };
}

/**
 * One client's driver process. It connects, says `ready`, then runs one round per command
 * (`create 2`, `multi 0`, …) and answers each with a `result` or an `error` line.
 */
class Driver {
  private readonly child: ChildProcess;
  private waiter: ((message: Message | null) => void) | null = null;
  private readonly early: Message[] = [];
  private ended = false;
  private sawDone = false;

  constructor(
    private readonly run: ClientRun,
    prepared: Prepared,
  ) {
    this.child = spawn(prepared.command, prepared.args, {
      cwd: REPO_DIR,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: prepared.env ?? process.env,
    });
    children.add(this.child);
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    this.child.on('error', (error) => run.errors.push(`could not start: ${error.message}`));
    this.child.on('close', (code, signal) => {
      children.delete(this.child);
      this.ended = true;
      if (!this.sawDone) run.errors.push(`the driver ended early (${signal ?? `exit ${code}`})`);
      this.deliver(null);
    });
  }

  get alive(): boolean {
    return !this.ended;
  }

  private onLine(line: string): void {
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      process.stderr.write(`[bench ${this.run.id}] ${line}\n`);
      return;
    }
    switch (message.type) {
      case 'info':
        this.run.version = message.version;
        return;
      case 'skipped':
        this.run.skipped[message.metric] = message.reason;
        return;
      case 'done':
        this.sawDone = true;
        return;
      case 'result': {
        const rate = message.ops / (message.ms / 1000);
        if (message.warmup) this.run.warmup[message.metric] = rate;
        else {
          this.run.rates[message.metric].push(rate);
          if (message.cpuMs !== undefined) {
            this.run.cpuUs[message.metric].push((message.cpuMs * 1000) / message.ops);
          }
        }
        break;
      }
      case 'error': {
        const where = `${message.metric ?? 'setup'}${message.round === null ? '' : ` round ${message.round}`}`;
        this.run.errors.push(`${where}: ${message.message}`);
        break;
      }
      case 'ready':
        break;
    }
    this.deliver(message);
  }

  private deliver(message: Message | null): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) waiter(message);
    else if (message) this.early.push(message);
  }

  /** The next ready/result/error line, or null when the process ended or timed out. */
  private next(timeoutMs: number): Promise<Message | null> {
    const queued = this.early.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.run.errors.push(`no answer within ${timeoutMs / 1000} s: killed`);
        this.child.kill('SIGKILL');
        resolve(null);
      }, timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  /** Waits for the driver to connect. */
  async ready(timeoutMs = 60_000): Promise<boolean> {
    const message = await this.next(timeoutMs);
    return message?.type === 'ready';
  }

  /** Runs one round; false when the driver is gone. */
  async round(metric: Metric, round: number, timeoutMs = 5 * 60_000): Promise<boolean> {
    if (!this.alive || aborted) return false;
    this.child.stdin!.write(`${metric} ${round}\n`);
    return (await this.next(timeoutMs)) !== null;
  }

  /** Asks the driver to close its session and waits for it to end (SIGKILL after 15 s). */
  async quit(): Promise<void> {
    if (!this.alive) return;
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin!.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await closed;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------
// Figures and the report.

interface Summary {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

function summarize(rates: number[]): Summary | null {
  if (rates.length === 0) return null;
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, rounds: rates };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function cell(run: ClientRun, metric: Metric): string {
  const s = summarize(run.rates[metric]);
  if (s) {
    const partial =
      run.rates[metric].length < expectedRounds ? ` (${run.rates[metric].length} rounds)` : '';
    return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})${partial}`;
  }
  const skip = run.skipped[metric];
  if (skip) return skip.startsWith('n/a') ? skip : `skipped: ${skip}`;
  return 'failed';
}

let expectedRounds = 0;

interface Facts {
  date: string;
  /** Set when the machine was busy with other work: the figures are then noisy. */
  caution: string | null;
  command: string;
  gitCommit: string;
  host: Record<string, string>;
  setup: Record<string, string>;
}

function javaVersion(java: string): string {
  return (output(java, ['-version']) ?? 'unknown').split('\n').slice(0, 2).join('; ');
}

export function osName(): string {
  const text = output('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return `${text ?? 'Linux'} (kernel ${release()})`;
}

export function gitCommit(): string {
  const head = output('git', ['-C', REPO_DIR, 'rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const dirty = output('git', ['-C', REPO_DIR, 'status', '--porcelain'])
    ? ' + uncommitted changes'
    : '';
  return head + dirty;
}

function commandLine(argv: string[]): string {
  const quoted = argv.map((a) => (/^[\w,./=:-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return `npm run bench -- ${quoted.join(' ')}`;
}

function ratio(ours: ClientRun | undefined, other: ClientRun | undefined, metric: Metric): string {
  const a = ours && summarize(ours.rates[metric]);
  const b = other && summarize(other.rates[metric]);
  if (!a || !b) return 'n/a';
  return `${(a.median / b.median).toFixed(2)}×`;
}

interface Report {
  text: string;
  markdown: string;
  json: unknown;
}

function metricTitle(metric: Metric): string {
  return metric === 'create' ? 'creates/s' : '3-op multi/s';
}

function buildReport(options: Options, facts: Facts, runs: ClientRun[]): Report {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const ours = byId.get('ours');
  const label = (run: ClientRun): string => `${run.id}: ${run.version || '(version unknown)'}`;
  const headers = ['client', ...METRICS.map((m) => `${metricTitle(m)}, median (min–max)`)];
  const rows = runs.map((run) => [label(run), ...METRICS.map((m) => cell(run, m))]);
  const ratioRows = (['java', 'binding'] as const)
    .filter((id) => ours && byId.has(id))
    .map((id) => [
      `ratio ours / ${id} (medians)`,
      ...METRICS.map((m) => ratio(ours, byId.get(id), m)),
    ]);
  const allRows = [...rows, ...ratioRows];

  const widths = headers.map((h, i) => Math.max(h.length, ...allRows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const workload = [
    `${options.rounds} measured rounds per client and metric, after one warm-up round (¼ size)`,
    `creates: ${fmt(options.creates)} persistent nodes of ${options.dataBytes} B per round, under a fresh parent`,
    `multi: ${fmt(options.multis)} transactions per round, each [create p, setData p v0, delete p v1]`,
    `one client connection, ${fmt(options.window)} operations in flight at most`,
  ];
  const factLines = [
    ...Object.entries(facts.host).map(([k, v]) => `${k}: ${v}`),
    ...Object.entries(facts.setup).map(([k, v]) => `${k}: ${v}`),
    `git: ${facts.gitCommit}`,
  ];
  const problems = runs.flatMap((r) => r.errors.map((e) => `${r.id}: ${e}`));
  /** The driver process's CPU per operation: median (min–max) of the rounds, in µs. */
  const cpuCell = (run: ClientRun, m: Metric): string => {
    const s = summarize(run.cpuUs[m]);
    return s ? `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})` : '–';
  };
  const cpuLines = runs.map(
    (run) => `  ${run.id}: ${METRICS.map((m) => `${m} ${cpuCell(run, m)} µs`).join(', ')}`,
  );

  const text = [
    `ZooKeeper client throughput, ${facts.date}`,
    '',
    line(headers),
    line(headers.map((_, i) => '-'.repeat(widths[i]!))),
    ...rows.map(line),
    ...(ratioRows.length ? ['', ...ratioRows.map(line)] : []),
    '',
    'the client process’s own CPU per operation (median of the rounds, min–max):',
    ...cpuLines,
    ...(facts.caution ? ['', facts.caution] : []),
    '',
    ...workload,
    '',
    ...factLines,
    ...(problems.length ? ['', 'problems:', ...problems.map((p) => `  ${p}`)] : []),
    '',
    `command: ${facts.command}`,
  ].join('\n');

  const md = (cells: string[]): string =>
    `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const markdown = [
    `# ZooKeeper client throughput, ${facts.date}`,
    '',
    `Written by \`${facts.command}\` (bench/README.md explains the bench).`,
    '',
    md(headers),
    md(headers.map(() => '---')),
    ...allRows.map(md),
    '',
    'Figures are operations per second: the median of the measured rounds, then the',
    'slowest and fastest round. A multi counts as one operation (it carries three).',
    '',
    '## The client’s own CPU per operation',
    '',
    'CPU time of each driver process (every thread: for Java the GC and the JIT too) over the',
    'timed part of a round, per operation: the median of the rounds, in microseconds. The',
    'servers share the machine, so a rate is theirs as much as the client’s; this is the',
    'client’s own cost.',
    '',
    md(['client', ...METRICS.map((m) => `${m}, µs per op`)]),
    md(['---', ...METRICS.map(() => '---')]),
    ...runs.map((run) => md([run.id, ...METRICS.map((m) => cpuCell(run, m))])),
    '',
    ...(facts.caution ? [facts.caution, ''] : []),
    '## Workload',
    '',
    ...workload.map((w) => `- ${w}`),
    '',
    '## Every round (ops/s)',
    '',
    md(['client', 'metric', 'warm-up', 'rounds']),
    md(['---', '---', '---', '---']),
    ...runs.flatMap((run) =>
      METRICS.map((m) =>
        md([
          run.id,
          m,
          run.warmup[m] === null ? '–' : fmt(run.warmup[m]),
          run.rates[m].length ? run.rates[m].map(fmt).join(', ') : cell(run, m),
        ]),
      ),
    ),
    '',
    '## Machine and setup',
    '',
    ...factLines.map((f) => `- ${f}`),
    ...(problems.length ? ['', '## Problems', '', ...problems.map((p) => `- ${p}`)] : []),
    '',
  ].join('\n');

  const json = {
    benchmark: 'client',
    date: facts.date,
    caution: facts.caution,
    command: facts.command,
    git: facts.gitCommit,
    options,
    host: facts.host,
    setup: facts.setup,
    clients: runs.map((run) => ({
      id: run.id,
      version: run.version,
      metrics: Object.fromEntries(
        METRICS.map((m) => [
          m,
          {
            unit: 'ops/s',
            warmup: run.warmup[m],
            summary: summarize(run.rates[m]),
            cpuMicrosecondsPerOp: summarize(run.cpuUs[m]),
            skipped: run.skipped[m] ?? null,
          },
        ]),
      ),
      errors: run.errors,
    })),
    ratios: Object.fromEntries(
      (['java', 'binding'] as const).map((id) => [
        `ours/${id}`,
        Object.fromEntries(
          METRICS.map((m) => {
            const a = ours && summarize(ours.rates[m]);
            const other = byId.get(id);
            const b = other && summarize(other.rates[m]);
            return [m, a && b ? Number((a.median / b.median).toFixed(3)) : null];
          }),
        ),
      ]),
    ),
  };
  return { text, markdown, json };
}

function save(dir: string, date: string, report: Report): string[] {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, `client-${date}.md`);
  const json = join(dir, `client-${date}.json`);
  writeFileSync(md, report.markdown);
  writeFileSync(json, `${JSON.stringify(report.json, null, 2)}\n`);
  // The repository's `prettier --check .` covers these files: write them as it would.
  const prettier = join(REPO_DIR, 'node_modules', '.bin', 'prettier');
  if (existsSync(prettier)) {
    spawnSync(prettier, ['--write', '--log-level', 'warn', md, json], {
      cwd: REPO_DIR,
      stdio: 'inherit',
    });
  }
  return [md, json];
}

// ---------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    const parsed = parseOptions(argv);
    if (parsed === 'help') {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (aborted) return 130;
    process.stderr.write(`bench: ${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  expectedRounds = options.rounds;

  let ensemble: Ensemble | null = null;
  let stateDir: string | null = null;
  let stopping: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    stopping ??= (async () => {
      stopChildren();
      if (ensemble) {
        say('stopping the ensemble');
        await ensemble.stop();
      }
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    aborted = true;
    say(`${signal}: stopping everything this bench started`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const install = ensureZooKeeper({ log: say });
    const preparations = new Map<ClientId, Preparation>();
    for (const id of options.clients) {
      preparations.set(
        id,
        id === 'ours' ? nodeDriver('ours') : id === 'java' ? prepareJava(install) : preparePeers(),
      );
    }

    stateDir = mkdtempSync(join(tmpdir(), 'zk-lab-bench-'));
    say(
      `starting a 3-server ensemble (tickTime ${options.tickMs} ms, heap ${options.heapMb} MB) in ${stateDir}`,
    );
    ensemble = await Ensemble.create({
      stateDir,
      size: 3,
      tickTimeMs: options.tickMs,
      heapMb: options.heapMb,
      install,
      log: say,
    });
    await ensemble.start();
    const leader = await ensemble.waitForQuorum();
    const node = ensemble.node(leader);
    const srvr = parseSrvr(await fourLetterWord('127.0.0.1', node.clientPort, 'srvr'));
    say(`quorum: server ${leader} leads`);
    const ours = new Set(ensemble.nodes.map((n) => n.pid));
    const otherServers = (output('pgrep', ['-f', 'QuorumPeerMain']) ?? '')
      .split('\n')
      .filter((pid) => pid && !ours.has(Number(pid))).length;
    const loadAtStart = loadavg()[0]!;
    if (otherServers > 0) {
      say(`note: ${otherServers} other ZooKeeper server process(es) run on this machine`);
    }

    const sessionTimeoutMs = Math.min(20 * options.tickMs, 10_000);
    const config: Omit<DriverConfig, 'root'> = {
      connect: ensemble.connectString(),
      creates: options.creates,
      multis: options.multis,
      window: options.window,
      dataBytes: options.dataBytes,
      sessionTimeoutMs,
    };
    const runs: ClientRun[] = [];
    const drivers = new Map<ClientId, Driver>();
    for (const id of options.clients) {
      const run = emptyRun(id);
      runs.push(run);
      const prep = preparations.get(id)!;
      if (!prep.ok) {
        run.skipped = { create: prep.reason, multi: prep.reason };
        run.errors.push(`skipped: ${prep.reason}`);
        say(`${id}: skipped: ${prep.reason}`);
        continue;
      }
      if (aborted) break;
      const driver = new Driver(run, prep.run({ ...config, root: `${ZK_ROOT}/${id}` }));
      if (await driver.ready()) {
        drivers.set(id, driver);
        say(`${id}: connected (${run.version})`);
      } else {
        say(`${id}: did not connect: ${run.errors.join('; ')}`);
        await driver.quit();
      }
    }
    // Round 0 is the warm-up. The clients take turns within every round, starting each
    // round with the next client, so a slow spell of the machine is shared out.
    const active = [...drivers.entries()];
    for (let round = 0; round <= options.rounds && !aborted; round++) {
      const order = active.map((_, i) => active[(i + round) % active.length]!);
      for (const metric of METRICS) {
        for (const [id, driver] of order) {
          const run = runs.find((r) => r.id === id)!;
          if (run.skipped[metric] || !driver.alive || aborted) continue;
          await driver.round(metric, round);
        }
      }
    }
    await Promise.all([...drivers.values()].map((d) => d.quit()));
    for (const run of runs) {
      if (run.id === 'binding' && !run.skipped.multi) {
        run.skipped.multi = 'n/a (the binding has no multi)';
      }
    }

    const now = new Date();
    const loadAtEnd = loadavg()[0]!;
    const cores = availableParallelism();
    const busy = Math.max(loadAtStart, loadAtEnd) > cores || otherServers > 0;
    const facts: Facts = {
      date: now.toISOString().slice(0, 10),
      caution: busy
        ? `Caution: other work ran on this ${cores}-core machine during the run (load average ` +
          `${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end; ` +
          `${otherServers} other ZooKeeper server process(es)): absolute figures are low and ` +
          'noisy; the clients took turns in every round, so the ratios suffer less than the absolute figures.'
        : null,
      command: commandLine(argv),
      gitCommit: gitCommit(),
      host: {
        nproc: String(availableParallelism()),
        cpu: cpus()[0]?.model ?? 'unknown',
        memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
        os: osName(),
        node: process.version,
        java: javaVersion(install.java),
      },
      setup: {
        ensemble: `3 servers on 127.0.0.1, ZooKeeper ${srvr?.version.split(/[-,]/)[0] ?? 'unknown'} (${install.source}), tickTime ${options.tickMs} ms, -Xmx${options.heapMb}m each, forceSync=no`,
        'session timeout': `${sessionTimeoutMs} ms requested by every client`,
        'run started': now.toISOString(),
        'other load': `load average (1 min) ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end; ${otherServers} ZooKeeper server process(es) not started by this bench`,
      },
    };
    const report = buildReport(options, facts, runs);
    process.stdout.write(`\n${report.text}\n`);
    if (options.save) {
      const files = save(options.out, facts.date, report);
      say(`written: ${files.map((f) => relative(process.cwd(), f)).join(', ')}`);
    }
    return runs.some((r) => r.errors.length > 0 && !r.errors.every((e) => e.startsWith('skipped:')))
      ? 1
      : 0;
  } catch (error) {
    if (aborted) return 130;
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * `npm run bench -- locks`: one @zk-lab/zk-recipes DistributedLock taken and given back in a
 * loop by 1, 2, 4 and 8 contender processes (drivers/lock-contender.ts) on one fresh
 * 3-server ensemble: acquisitions per second at each level, acquire and release latency,
 * and the requests the servers took per acquisition (server-work.ts), so the uncontended
 * acquisition's cost in requests is measured, not assumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ensemble, fourLetterWord, parseSrvr } from '@zk-lab/deploy';
import { ZkClient } from '@zk-lab/zk-client';
import type { ContenderInput, ContenderResult } from './drivers/lock-contender';
import {
  benchFailed,
  intOption,
  type Machine,
  machineFacts,
  parseBenchArgs,
  readOptions,
  runJsonDriver,
  saveReport,
  stopOnSignals,
} from './bench-cli';
import { gitCommit } from './main';
import { type Distribution, distribution, roundDistribution } from './percentiles';
import { sampleServers, serverWork } from './server-work';

export const LOCKS_HELP = `Usage: npm run bench -- locks [options]

One DistributedLock (@zk-lab/zk-recipes) under /bench-locks, taken and given back in a
loop by each contender, a process of its own with its own session, on one fresh 3-server
ZooKeeper ensemble on 127.0.0.1 (tickTime 200 ms). Each level runs --seconds, --repeats
times (every level once a turn); a level of 2 contenders runs first as a warm-up and is
not counted. Reported per level: acquisitions per second (all contenders; the median of
the repeats, with min and max), acquire and release latency p50 and p99, the spread between
contenders, and the requests the servers took per acquisition.

The report is printed (markdown, or with --json one JSON object) and written to
bench/results/locks-<date>.md and .json (a second run on the same day replaces them).

Options:
  --contenders LIST  comma-separated contender counts          (default 1,2,4,8)
  --seconds S        length of each level                       (default 5)
  --repeats N        times each level runs (every level once a turn) (default 3)
  --session MS       the contenders' session timeout            (default 4000)
  --json             print the JSON report instead of markdown
  --out DIR          where the report goes                      (default bench/results)
  --no-save          print the report only
  -h, --help         this text

It takes about 2 minutes on a 2-core machine with the defaults. Ctrl+C stops every server
and process it started.`;

const LOCK_PATH = '/bench-locks/lock';
const WARMUP_CONTENDERS = 2;
/** Time for the contender processes to start and connect before the measured stretch. */
const START_DELAY_MS = 3_000;

interface Options {
  contenders: number[];
  seconds: number;
  repeats: number;
  sessionMs: number;
  json: boolean;
  out: string;
  save: boolean;
}

function parseOptions(argv: string[], benchDir: string): Options | 'help' {
  const values = parseBenchArgs(argv, {
    contenders: { type: 'string', default: '1,2,4,8' },
    seconds: { type: 'string', default: '5' },
    repeats: { type: 'string', default: '3' },
    session: { type: 'string', default: '4000' },
    json: { type: 'boolean', default: false },
    out: { type: 'string', default: join(benchDir, 'results') },
    'no-save': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  return {
    contenders: values.contenders.split(',').map((n) => intOption('contenders', n.trim(), 1, 64)),
    seconds: intOption('seconds', values.seconds, 1, 600),
    repeats: intOption('repeats', values.repeats, 1, 20),
    sessionMs: intOption('session', values.session, 400, 600_000),
    json: values.json,
    out: values.out,
    save: !values['no-save'],
  };
}

export interface LockLevel {
  contenders: number;
  acquisitions: number;
  /** The median of the repeats, with the slowest and the fastest. */
  acquisitionsPerSecond: number;
  repeats: { min: number; max: number; each: number[] };
  acquireMs: Distribution | null;
  releaseMs: Distribution | null;
  /** The fewest and the most acquisitions of one contender. */
  perContender: { min: number; max: number };
  /** Client requests the servers took per acquisition (acquire and release). */
  requestsPerAcquisition: number | null;
}

export interface LocksReport {
  command: string;
  date: string;
  gitCommit: string;
  machine: Machine;
  ensemble: string;
  secondsPerLevel: number;
  repeats: number;
  levels: LockLevel[];
}

const say = (line: string): void => void process.stderr.write(`[locks] ${line}\n`);

interface Stretch {
  results: ContenderResult[];
  requests: number;
}

/** One measured stretch of `contenders` processes. */
async function runStretch(
  ensemble: Ensemble,
  contenders: number,
  options: Options,
  children: Set<number>,
): Promise<Stretch> {
  const startAt = Date.now() + START_DELAY_MS;
  const endAt = startAt + options.seconds * 1000;
  const input: ContenderInput = {
    connect: ensemble.connectString(),
    path: LOCK_PATH,
    sessionMs: options.sessionMs,
    startAt,
    endAt,
  };
  const script = join(__dirname, 'drivers', 'lock-contender.js');
  const running = Array.from({ length: contenders }, () =>
    runJsonDriver<ContenderResult>(script, input, children),
  );
  // The servers' counters bracket the measured stretch, not the processes' start.
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const before = await sampleServers(ensemble);
  await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now())));
  const after = await sampleServers(ensemble);
  const results = await Promise.all(running);
  return { results, requests: serverWork(before, after, 1).requestsPerJob };
}

/** A level from its repeated stretches. */
function level(contenders: number, stretches: Stretch[], seconds: number): LockLevel {
  const all = stretches.flatMap((s) => s.results);
  const acquisitions = all.reduce((sum, r) => sum + r.acquisitions, 0);
  const rates = stretches.map((s) =>
    Math.round(s.results.reduce((sum, r) => sum + r.acquisitions, 0) / seconds),
  );
  const counts = all.map((r) => r.acquisitions);
  const requests = stretches.reduce((sum, s) => sum + s.requests, 0);
  return {
    contenders,
    acquisitions,
    acquisitionsPerSecond: distribution(rates)!.p50,
    repeats: { min: Math.min(...rates), max: Math.max(...rates), each: rates },
    acquireMs: roundDistribution(distribution(all.flatMap((r) => r.acquireMs))),
    releaseMs: roundDistribution(distribution(all.flatMap((r) => r.releaseMs))),
    perContender: { min: Math.min(...counts), max: Math.max(...counts) },
    requestsPerAcquisition:
      acquisitions === 0 ? null : Math.round((requests / acquisitions) * 100) / 100,
  };
}

export async function locksMain(argv: string[], benchDir: string): Promise<number> {
  const options = readOptions(() => parseOptions(argv, benchDir), LOCKS_HELP);
  if (typeof options === 'number') return options;

  const runDir = mkdtempSync(join(tmpdir(), 'zk-lab-bench-locks-'));
  const children = new Set<number>();
  let ensemble: Ensemble | null = null;
  let stopping: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    stopping ??= (async () => {
      for (const pid of children) process.kill(pid, 'SIGKILL');
      if (ensemble !== null) {
        say('stopping the ensemble');
        await ensemble.stop();
      }
      rmSync(runDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const offSignals = stopOnSignals(cleanup, say);

  try {
    say(`starting a 3-server ensemble in ${runDir}`);
    ensemble = await Ensemble.start({
      stateDir: join(runDir, 'zk'),
      size: 3,
      tickTimeMs: 200,
      heapMb: 512,
      log: say,
    });
    const leader = ensemble.node(await ensemble.waitForQuorum());
    const srvr = parseSrvr(await fourLetterWord('127.0.0.1', leader.clientPort, 'srvr'));
    const admin = await ZkClient.connect({ connectString: ensemble.connectString() });
    await admin.create('/bench-locks');
    await admin.close();

    say(`warm-up: ${WARMUP_CONTENDERS} contenders for ${options.seconds} s`);
    await runStretch(ensemble, WARMUP_CONTENDERS, options, children);
    // Each repeat goes through every level, so that every level sees the same machine.
    const stretches = new Map<number, Stretch[]>(options.contenders.map((c) => [c, []]));
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      for (const contenders of options.contenders) {
        const stretch = await runStretch(ensemble, contenders, options, children);
        stretches.get(contenders)!.push(stretch);
        const count = stretch.results.reduce((sum, r) => sum + r.acquisitions, 0);
        say(
          `repeat ${repeat}, ${contenders} contender(s): ` +
            `${Math.round(count / options.seconds)} acquisitions/s`,
        );
      }
    }
    const levels = options.contenders.map((c) => level(c, stretches.get(c)!, options.seconds));

    const report: LocksReport = {
      command: `npm run bench -- locks ${argv.join(' ')}`.trim(),
      date: new Date().toISOString(),
      gitCommit: gitCommit(),
      machine: machineFacts(),
      ensemble: `3 servers on 127.0.0.1, ZooKeeper ${srvr?.version.split(/[-,]/)[0] ?? 'unknown'}, tickTime 200 ms, -Xmx512m each`,
      secondsPerLevel: options.seconds,
      repeats: options.repeats,
      levels,
    };
    const markdown = renderLocks(report);
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `\n${markdown}`);
    if (options.save) saveReport(options.out, 'locks', report, markdown, say);
    return 0;
  } catch (error) {
    return benchFailed(error);
  } finally {
    await cleanup();
    offSignals();
  }
}

const ms = (d: Distribution | null, key: 'p50' | 'p99'): string =>
  d === null ? '?' : `${d[key]} ms`;

export function renderLocks(report: LocksReport): string {
  return `${[
    '# One lock, 1 to 8 contender processes',
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}; git commit ${report.gitCommit}`,
    `- machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory}, ${report.machine.os}, node ${report.machine.node}`,
    `- ensemble: ${report.ensemble}`,
    `- each level: ${report.secondsPerLevel} s, ${report.repeats} times (every level once a turn), after a warm-up level of ${WARMUP_CONTENDERS} contenders; each contender a process with its own session, acquiring and releasing one DistributedLock in a loop`,
    '',
    '| contenders | acquisitions/s (median) | min – max | acquire p50 | acquire p99 | release p50 | release p99 | per contender | requests per acquisition |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.levels.map(
      (l) =>
        `| ${l.contenders} | **${l.acquisitionsPerSecond}** | ${l.repeats.min} – ${l.repeats.max} | ${ms(l.acquireMs, 'p50')} | ${ms(l.acquireMs, 'p99')} | ${ms(l.releaseMs, 'p50')} | ${ms(l.releaseMs, 'p99')} | ${l.perContender.min} to ${l.perContender.max} | ${l.requestsPerAcquisition ?? '?'} |`,
    ),
    '',
    'Requests per acquisition: the client requests the three servers took during the level (`mntr`), divided by the acquisitions, so acquire and release together, with the waiters’ reads and pings; one contender alone is the uncontended cost.',
  ].join('\n')}\n`;
}

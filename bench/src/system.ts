/**
 * `npm run bench -- system`: the master-worker system end to end, every part a real
 * process: a fresh private 3-server ensemble, 2 masters, W workers, the producer CLI.
 *
 * 1. Throughput: per job type of a small matrix (echo, sleep 50 ms), the producer enqueues
 *    N jobs and waits for them; the results are read back from /results (system-throughput.ts).
 * 2. Leader takeover: the leading master is sent SIGTERM, then SIGKILL, K times each, and the
 *    time until the other has claimed a new epoch is measured (system-takeover.ts).
 * 3. Worker kill: a worker holding tasks is SIGKILLed, and the time until its tasks run
 *    elsewhere is measured (system-worker-kill.ts).
 * 4. Live config: /config is rewritten and the time until each of 10 processes applied it
 *    is measured (system-config.ts).
 *
 * Everything started here (servers, apps) is stopped before this returns, on failure and on
 * Ctrl+C too; if the bench is killed outright, the ensemble's reaper and ours
 * (orphan-reaper.ts) stop the servers and the apps.
 */
import { BenchRun } from './bench-run';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { gitCommit, osName } from './main';
import { renderMarkdown, type SystemReport, type TakeoverSummary } from './system-report';
import { MASTER_IDS, startBenchSystem, waitForWorkers } from './system-setup';
import { CONFIG_PROCESSES, type ConfigPropagation, configTrials } from './system-config';
import { type WorkerKillTrial, WorkerKillTrials } from './system-worker-kill';
import { freePorts } from '@zk-lab/deploy';
import { JOB_MATRIX, runThroughput, type ThroughputRun } from './system-throughput';
import { TAKEOVER_SIGNALS, type TakeoverTrial } from './system-takeover';
import { distribution } from './percentiles';

/** min, p50, p90 and max of the trials that gave a figure; null when none did. */
function spread(values: readonly (number | null)[]): TakeoverSummary['ms'] {
  const d = distribution(values.filter((ms): ms is number => ms !== null));
  return d && { min: d.min, p50: d.p50, p90: d.p90, max: d.max };
}

export const SYSTEM_HELP = `Usage: npm run bench -- system [options]

Measures the master-worker system end to end on a fresh private 3-server ZooKeeper
ensemble on 127.0.0.1 (tickTime 200 ms): 2 masters and --workers workers, each a process
of its own (apps/<name>/dist/main.js), under the root /bench-system.

  Throughput   for echo {} and sleep {"ms":50}: the producer CLI enqueues --jobs jobs
               (--count N --wait --json); then every /results/<key> of the run is read.
               Reported: the producer's enqueue rate, the end-to-end rate (results / (last
               finished - first created)), latency created -> finished p50/p95/p99/max,
               where the time goes, and the results per worker. A warm-up of 500 echo
               jobs runs first and is not counted.
  Takeover     --takeovers times each for SIGTERM and SIGKILL: the leading master gets
               the signal, and the time until /epoch moves on (the other master leads and
               has fenced it) is measured; the master is then started again. Reported:
               median, min, p90, max per signal.
  Worker kill  --worker-kills times: a worker holding sleep tasks is SIGKILLed; the time
               until each of its tasks is assigned to another worker (its session expires
               first), seen by a watch on /assign. Reported: median, min, max of the first
               and of the last task. The worker is then started again.
  Live config  --config-trials times, with ${CONFIG_PROCESSES} app processes running (more workers are
               started for it): /config is rewritten, and the time from the write to each
               process's log line "config version V applied". Reported: p50, p99, max.

The report is printed on stdout (progress on stderr) and written to
bench/results/system-<date>.md and .json (a second run on the same day replaces them).

Options:
  --jobs N          jobs per job type                              (default 5000)
  --workers N       worker processes                               (default 3)
  --capacity N      workerCapacity in /config: jobs a worker runs at once (default 16)
  --batch N         assignBatchSize in /config                     (default 200)
  --session MS      ZK_SESSION_TIMEOUT_MS of every app             (default 4000)
  --takeovers N     trials per signal; 0 skips the takeovers       (default 10)
  --worker-kills N  worker-kill trials; 0 skips them               (default 5)
  --config-trials N live-config trials; 0 skips them               (default 20)
  --tick MS         ZooKeeper tickTime                             (default 200)
  --out DIR         where the report goes                          (default bench/results)
  --no-save         print the report only
  --keep-logs       keep the apps' logs (kept anyway when something failed)
  -h, --help        this text

It takes about 4 minutes on a 2-core machine with the defaults. Ctrl+C stops every
server and process it started.`;

const ROOT = '/bench-system';
const WARMUP_JOBS = 500;
const AFTER_TAKEOVER_JOBS = 200;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Options {
  jobs: number;
  workers: number;
  capacity: number;
  batch: number;
  sessionMs: number;
  takeovers: number;
  workerKills: number;
  configTrials: number;
  tickMs: number;
  out: string;
  save: boolean;
  keepLogs: boolean;
}

function parseOptions(argv: string[], benchDir: string): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        jobs: { type: 'string', default: '5000' },
        workers: { type: 'string', default: '3' },
        capacity: { type: 'string', default: '16' },
        batch: { type: 'string', default: '200' },
        session: { type: 'string', default: '4000' },
        takeovers: { type: 'string', default: '10' },
        'worker-kills': { type: 'string', default: '5' },
        'config-trials': { type: 'string', default: '20' },
        tick: { type: 'string', default: '200' },
        out: { type: 'string', default: join(benchDir, 'results') },
        'no-save': { type: 'boolean', default: false },
        'keep-logs': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const int = (name: string, text: string, min: number, max: number): number => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${text}"`);
    }
    return n;
  };
  return {
    // The producer refuses more than queueMaxDepth (at most 100,000) jobs waiting.
    jobs: int('jobs', values.jobs, 1, 100_000),
    workers: int('workers', values.workers, 1, 64),
    capacity: int('capacity', values.capacity, 1, 256),
    batch: int('batch', values.batch, 1, 10_000),
    sessionMs: int('session', values.session, 400, 600_000),
    takeovers: int('takeovers', values.takeovers, 0, 1_000),
    workerKills: int('worker-kills', values['worker-kills'], 0, 1_000),
    configTrials: int('config-trials', values['config-trials'], 0, 1_000),
    tickMs: int('tick', values.tick, 10, 10_000),
    out: values.out,
    save: !values['no-save'],
    keepLogs: values['keep-logs'],
  };
}

const say = (line: string): void => void process.stderr.write(`[system] ${line}\n`);

export async function systemMain(argv: string[], benchDir: string): Promise<number> {
  let options: Options;
  try {
    const parsed = parseOptions(argv, benchDir);
    if (parsed === 'help') {
      process.stdout.write(`${SYSTEM_HELP}\n`);
      return 0;
    }
    options = parsed;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${SYSTEM_HELP}\n`);
    return 2;
  }

  const bench = new BenchRun('system', say, options.keepLogs);
  const { held, checkAborted } = bench;

  try {
    const loadAtStart = loadavg()[0]!;
    const system = await startBenchSystem(
      {
        root: ROOT,
        workers: options.workers,
        capacity: options.capacity,
        batch: options.batch,
        sessionMs: options.sessionMs,
        tickMs: options.tickMs,
        queueDepth: options.jobs,
      },
      bench.dirs(benchDir),
      held,
      say,
      checkAborted,
    );
    const { admin, fleet, trials, probe, srvr, otherServers } = system;

    const errors: string[] = [];
    const noteErrors = (run: ThroughputRun | TakeoverTrial, what: string): void => {
      if (run.error !== null) errors.push(`${what}: ${run.error}`);
    };

    say(`warm-up: ${WARMUP_JOBS} echo jobs`);
    const warmup = await runThroughput(
      fleet,
      admin,
      probe,
      JOB_MATRIX[0]!,
      WARMUP_JOBS,
      'warmup',
      say,
    );
    noteErrors(warmup, 'warm-up');
    const throughput: ThroughputRun[] = [];
    for (const job of JOB_MATRIX) {
      checkAborted();
      say(`throughput: ${options.jobs} ${job.type} jobs (payload ${job.payload})`);
      const run = await runThroughput(
        fleet,
        admin,
        probe,
        job,
        options.jobs,
        `producer-${job.type}`,
        say,
      );
      noteErrors(run, `${job.type} run`);
      throughput.push(run);
      say(
        `${job.type}: ${run.endToEnd?.jobsPerSecond ?? '?'} jobs/s end to end, latency p50 ` +
          `${run.latencyMs?.p50 ?? '?'} ms, p99 ${run.latencyMs?.p99 ?? '?'} ms; per worker ` +
          JSON.stringify(run.perWorker),
      );
    }

    const takeoverTrials: TakeoverTrial[] = [];
    const summary: Partial<Record<(typeof TAKEOVER_SIGNALS)[number], TakeoverSummary>> = {};
    if (options.takeovers > 0) {
      for (const signal of TAKEOVER_SIGNALS) {
        const ofSignal: TakeoverTrial[] = [];
        for (let i = 1; i <= options.takeovers; i++) {
          checkAborted();
          const trial = await trials.run(signal, i);
          noteErrors(trial, `${signal} trial ${i}`);
          ofSignal.push(trial);
          // Let the restarted master settle in before the next signal.
          await sleep(500);
        }
        takeoverTrials.push(...ofSignal);
        summary[signal] = {
          trials: ofSignal.length,
          failed: ofSignal.filter((t) => t.takeoverMs === null).length,
          ms: spread(ofSignal.map((t) => t.takeoverMs)),
          firstAssignmentMs: spread(ofSignal.map((t) => t.firstAssignmentMs)),
        };
      }
    }
    const workerKills: WorkerKillTrial[] = [];
    if (options.workerKills > 0) {
      const kills = new WorkerKillTrials(
        admin,
        system.workers,
        system.startWorker,
        Math.max(30_000, 4 * options.sessionMs),
        say,
      );
      for (let i = 1; i <= options.workerKills; i++) {
        checkAborted();
        const trial = await kills.run(i);
        if (trial.error !== null) errors.push(`worker kill ${i}: ${trial.error}`);
        workerKills.push(trial);
      }
      await waitForWorkers(admin, system.workerIds, 60_000);
    }
    let afterTakeovers: ThroughputRun | null = null;
    if (options.takeovers > 0 || options.workerKills > 0) {
      checkAborted();
      say(`after the takeovers: ${AFTER_TAKEOVER_JOBS} echo jobs`);
      afterTakeovers = await runThroughput(
        fleet,
        admin,
        probe,
        JOB_MATRIX[0]!,
        AFTER_TAKEOVER_JOBS,
        'producer-after',
        say,
      );
      noteErrors(afterTakeovers, 'after the takeovers');
    }

    let config: ConfigPropagation | null = null;
    if (options.configTrials > 0) {
      checkAborted();
      const extra = Math.max(0, CONFIG_PROCESSES - MASTER_IDS.length - system.workers.length);
      const ports = await freePorts(extra);
      const added = ports.map((port, i) => system.startWorker({ id: `c${i + 1}`, port }));
      await waitForWorkers(
        admin,
        added.map((app) => app.id),
        60_000,
      );
      say(`live config: ${extra} more workers started; ${options.configTrials} trials`);
      config = await configTrials(
        admin,
        [
          ...system.masters.map((m) => m.process),
          ...system.workers.map((w) => w.process),
          ...added,
        ],
        options.configTrials,
        10_000,
        say,
      );
      if (config.missed > 0) {
        errors.push(
          `live config: ${config.missed} process-trials did not apply the new version in 10 s`,
        );
      }
    }

    const loadAtEnd = loadavg()[0]!;
    const cores = availableParallelism();
    const now = new Date();
    const report: SystemReport = {
      command: `npm run bench -- system ${argv.join(' ')}`.trim(),
      date: now.toISOString(),
      gitCommit: gitCommit(),
      machine: {
        cores,
        cpu: cpus()[0]?.model ?? 'unknown',
        memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
        os: osName(),
        node: process.version,
      },
      load: {
        start: loadAtStart,
        end: loadAtEnd,
        otherZooKeeperServers: otherServers,
        caution:
          `load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} ` +
          `at the end on ${cores} cores; ${otherServers} ZooKeeper server process(es) not ` +
          'started by this bench. The machine is shared: other test runs may have used it ' +
          'during the run, so the figures are noisy and low rather than the system’s best.',
      },
      setup: {
        ensemble:
          `3 servers on 127.0.0.1, ZooKeeper ${srvr?.version.split(/[-,]/)[0] ?? 'unknown'}, ` +
          `tickTime ${options.tickMs} ms, -Xmx512m each, forceSync=no`,
        root: ROOT,
        masters: MASTER_IDS.length,
        workers: options.workers,
        workerCapacity: options.capacity,
        assignBatchSize: options.batch,
        sessionTimeoutMs: options.sessionMs,
        negotiatedSessionTimeoutMs: admin.negotiatedTimeoutMs,
        jobs: options.jobs,
      },
      warmup,
      throughput,
      takeovers: { trials: takeoverTrials, summary },
      afterTakeovers,
      workerKills: {
        trials: workerKills,
        firstElsewhereMs: spread(workerKills.map((t) => t.firstElsewhereMs)),
        lastElsewhereMs: spread(workerKills.map((t) => t.lastElsewhereMs)),
      },
      config,
      logs: Object.fromEntries(
        [...fleet.tallies().entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([app, t]) => [
            app,
            { warn: t.warn, error: t.error, messages: Object.fromEntries(t.messages) },
          ]),
      ),
      errors,
    };
    const markdown = renderMarkdown(report);
    process.stdout.write(`\n${markdown}`);
    if (options.save) {
      mkdirSync(options.out, { recursive: true });
      const base = join(options.out, `system-${report.date.slice(0, 10)}`);
      writeFileSync(`${base}.md`, markdown);
      writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
      say(`written: ${relative(process.cwd(), base)}.md and .json`);
    }
    bench.failed = errors.length > 0;
    return bench.failed ? 1 : 0;
  } catch (error) {
    bench.failed = true;
    if (bench.wasAborted) return 130;
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  } finally {
    await bench.cleanup();
  }
}

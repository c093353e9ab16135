/**
 * `npm run bench -- pipeline`: the master-worker pipeline beside the ensemble's own ceiling
 * for its design, measured in the same run on the same ensemble (pipeline-ceiling.ts).
 *
 * Rounds alternate: the ceiling (one client writing each job's transactions, pipelined),
 * then the system (2 masters, 4 workers, the producer CLI enqueuing echo jobs and waiting
 * for every result). The ratio is the median end-to-end rate over the median ceiling.
 * Then a latency run: the producer streams at half the measured end-to-end rate.
 */
import { BenchRun } from './bench-run';
import { loadavg } from 'node:os';
import {
  intOption,
  type Machine,
  machineFacts,
  parseBenchArgs,
  readOptions,
  reportOptions,
  reportSettings,
} from './bench-cli';
import { gitCommit } from './main';
import { type Distribution } from './percentiles';
import {
  type CeilingRound,
  DATA_BYTES,
  measureCeiling,
  measureCeilingProcesses,
  TRANSACTIONS_PER_JOB,
} from './pipeline-ceiling';
import {
  requestsByRole,
  sampleServers,
  sessionRoles,
  type ServerSample,
  type ServerWork,
} from './server-work';
import { MASTER_IDS, startBenchSystem } from './system-setup';
import { JOB_MATRIX, runThroughput, type ThroughputRun } from './system-throughput';

export const PIPELINE_HELP = `Usage: npm run bench -- pipeline [options]

The master-worker pipeline beside what the ensemble itself can write for its design, in
one run on one fresh 3-server ensemble on 127.0.0.1 (tickTime 200 ms):

  ceiling    one client of our own code writes N jobs' worth of the transactions one job
             costs (${TRANSACTIONS_PER_JOB}: the producer's create and its marker's delete, the
             leader's assignment, the worker's result), each job's in order, --window jobs
             at once;
             after the rounds, once more from 4 processes at once (reported beside it)
  pipeline   2 masters and --workers workers as processes; the producer CLI enqueues N
             echo {} jobs (--count N --json), and the bench waits until /results and
             /dead hold N more children (from their stats, every 20 ms); the end-to-end
             rate is results / (last finished - first created), from the result znodes
  latency    the producer streams echo jobs at half the median end-to-end rate for
             --latency-seconds; created -> finished p50 and p99

Ceiling and pipeline rounds alternate (--rounds each, after a warm-up of --warmup jobs
of each, which the servers' and the apps' JIT need: uncounted; with 3000, the pipeline's
server CPU per job still fell by half over five rounds); the ratio is the median
end-to-end rate / the median ceiling.

The report is printed (markdown, or with --json one JSON object with
endToEndJobsPerSecond, ceilingJobsPerSecond and ratio) and written to
bench/results/pipeline-<date>.md and .json (a second run on the same day replaces them).

Options:
  --jobs N             jobs per round                          (default 3000)
  --rounds N           rounds of each                          (default 3)
  --warmup N           uncounted jobs of each first            (default 12000)
  --workers N          worker processes                        (default 4)
  --capacity N         workerCapacity in /config               (default 16)
  --batch N            assignBatchSize in /config              (default 200)
  --window N           ceiling: jobs in flight at once          (default 256)
  --latency-seconds S  the latency run's length; 0 skips it    (default 10)
  --session MS         ZK_SESSION_TIMEOUT_MS of every app      (default 4000)
  --tick MS            ZooKeeper tickTime                      (default 200)
  --json               print the JSON report instead of markdown
  --out DIR            where the report goes                   (default bench/results)
  --no-save            print the report only
  --keep-logs          keep the apps' logs (kept anyway when something failed)
  -h, --help           this text

It takes about 2 minutes on a 2-core machine with the defaults. Ctrl+C stops every
server and process it started.`;

const ROOT = '/bench-pipeline';
const CEILING_PROCESSES = 4;

interface Options {
  jobs: number;
  rounds: number;
  warmup: number;
  workers: number;
  capacity: number;
  batch: number;
  window: number;
  latencySeconds: number;
  sessionMs: number;
  tickMs: number;
  json: boolean;
  out: string;
  save: boolean;
  keepLogs: boolean;
}

function parseOptions(argv: string[], benchDir: string): Options | 'help' {
  const values = parseBenchArgs(argv, {
    jobs: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '12000' },
    workers: { type: 'string', default: '4' },
    capacity: { type: 'string', default: '16' },
    batch: { type: 'string', default: '200' },
    window: { type: 'string', default: '256' },
    'latency-seconds': { type: 'string', default: '10' },
    session: { type: 'string', default: '4000' },
    tick: { type: 'string', default: '200' },
    ...reportOptions(benchDir),
  });
  if (values.help) return 'help';
  const int = intOption;
  return {
    jobs: int('jobs', values.jobs, 1, 100_000),
    rounds: int('rounds', values.rounds, 1, 50),
    warmup: int('warmup', values.warmup, 1, 100_000),
    workers: int('workers', values.workers, 1, 64),
    capacity: int('capacity', values.capacity, 1, 256),
    batch: int('batch', values.batch, 1, 10_000),
    window: int('window', values.window, 1, 10_000),
    latencySeconds: int('latency-seconds', values['latency-seconds'], 0, 600),
    sessionMs: int('session', values.session, 400, 600_000),
    tickMs: int('tick', values.tick, 10, 10_000),
    ...reportSettings(values),
  };
}

export interface PipelineReport {
  command: string;
  date: string;
  gitCommit: string;
  machine: Machine;
  load: { start: number; end: number; otherZooKeeperServers: number };
  setup: {
    ensemble: string;
    masters: number;
    workers: number;
    workerCapacity: number;
    assignBatchSize: number;
    jobsPerRound: number;
    rounds: number;
    warmupJobs: number;
    ceilingWindow: number;
    transactionsPerJob: number;
    dataBytes: typeof DATA_BYTES;
  };
  /** The headline figures: medians of the rounds. */
  endToEndJobsPerSecond: number | null;
  ceilingJobsPerSecond: number;
  ceilingTransactionsPerSecond: number;
  ratio: number | null;
  /**
   * Each pipeline round over the ceiling round just before it, and their median: the
   * machine's speed moves between rounds, and a pair ran minutes apart at most.
   */
  roundRatios: (number | null)[];
  pairedRatio: number | null;
  ceilingRounds: CeilingRound[];
  /** One round of the ceiling from CEILING_PROCESSES processes, each a client of its own. */
  processCeiling: CeilingRound & { processes: number };
  pipelineRounds: ThroughputRun[];
  /** Requests per job by sender in each pipeline round (server-work.ts). */
  senders: Record<string, number>[];
  /** At half the median end-to-end rate. */
  latency: { rate: number; run: ThroughputRun } | null;
  errors: string[];
}

export interface CpuPerJob {
  machine: number | null;
  servers: number;
  masters: number;
  workers: number;
  bench: number;
  rest: number | null;
}

/** A pipeline round's CPU use (cores over its wall time) as milliseconds per job, by role. */
export function cpuPerJob(run: Pick<ThroughputRun, 'cpu' | 'jobs'>): CpuPerJob {
  const cpu = run.cpu;
  const perJob = (cores: number): number => (cores * (cpu?.wallMs ?? 0)) / Math.max(run.jobs, 1);
  const sum = (prefix: string): number =>
    Object.entries(cpu?.byProcess ?? {})
      .filter(([label]) => label.startsWith(prefix))
      .reduce((total, [, cores]) => total + perJob(cores), 0);
  const servers = sum('zk');
  const masters = sum('m');
  const workers = sum('w');
  const bench = sum('bench');
  const machine = cpu?.machineCores == null ? null : perJob(cpu.machineCores);
  return {
    machine,
    servers,
    masters,
    workers,
    bench,
    rest: machine === null ? null : Math.max(machine - servers - masters - workers - bench, 0),
  };
}

const say = (line: string): void => void process.stderr.write(`[pipeline] ${line}\n`);

/** The median, unrounded; null when there are no values. */
const exactMedian = (values: readonly number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The median of rates, to a tenth. */
const median = (values: readonly number[]): number | null => {
  const value = exactMedian(values);
  return value === null ? null : Math.round(value * 10) / 10;
};

export async function pipelineMain(argv: string[], benchDir: string): Promise<number> {
  const options = readOptions(() => parseOptions(argv, benchDir), PIPELINE_HELP);
  if (typeof options === 'number') return options;

  const bench = new BenchRun('pipeline', say, options.keepLogs);
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
        queueDepth: Math.max(options.jobs, options.warmup),
      },
      bench.dirs(benchDir),
      held,
      say,
      checkAborted,
    );
    const { admin, fleet, probe, srvr, otherServers, ensemble } = system;
    const echo = JOB_MATRIX[0]!;
    const errors: string[] = [];
    const ceilingOptions = {
      connect: ensemble.connectString(),
      window: options.window,
      sessionMs: options.sessionMs,
    };

    const warmupJobs = options.warmup;
    say(`warm-up: ${warmupJobs} jobs of the ceiling, ${warmupJobs} echo jobs of the pipeline`);
    await measureCeiling({ ...ceilingOptions, jobs: warmupJobs }, 0);
    const warmup = await runThroughput(
      fleet,
      admin,
      probe,
      echo,
      warmupJobs,
      'warmup',
      say,
      ['--count', String(warmupJobs)],
      'count',
    );
    if (warmup.error !== null) errors.push(`warm-up: ${warmup.error}`);

    const ceilingRounds: CeilingRound[] = [];
    const pipelineRounds: ThroughputRun[] = [];
    const senders: Record<string, number>[] = [];
    const servers = (): Promise<ServerSample> => sampleServers(ensemble);
    const sampled = { ...probe, sampleServers: servers };
    for (let round = 1; round <= options.rounds; round++) {
      checkAborted();
      const ceiling = await measureCeiling(
        { ...ceilingOptions, jobs: options.jobs },
        round,
        servers,
      );
      ceilingRounds.push(ceiling);
      say(
        `round ${round}: ceiling ${ceiling.jobsPerSecond} jobs/s ` +
          `(${ceiling.transactionsPerSecond} transactions/s)`,
      );
      checkAborted();
      const run = await runThroughput(
        fleet,
        admin,
        sampled,
        echo,
        options.jobs,
        `pipeline-${round}`,
        say,
        ['--count', String(options.jobs)],
        'count',
      );

      if (run.error !== null) errors.push(`pipeline round ${round}: ${run.error}`);
      pipelineRounds.push(run);
      senders.push(run.servers ? requestsByRole(run.servers, await sessionRoles(admin)) : {});
      say(
        `round ${round}: pipeline ${run.endToEnd?.jobsPerSecond ?? '?'} jobs/s end to end ` +
          `(latency p50 ${run.latencyMs?.p50 ?? '?'} ms)`,
      );
    }
    const ceilingJobsPerSecond = median(ceilingRounds.map((r) => r.jobsPerSecond))!;
    checkAborted();
    // The ceiling again from four processes, each a client of its own: what one client
    // leaves on the table (it is not the ratio's denominator: the issue's is one client).
    const processCeiling = await measureCeilingProcesses(
      { ...ceilingOptions, jobs: options.jobs },
      options.rounds + 1,
      CEILING_PROCESSES,
    );
    say(
      `ceiling from ${CEILING_PROCESSES} processes: ${processCeiling.jobsPerSecond} jobs/s ` +
        `(${processCeiling.transactionsPerSecond} transactions/s)`,
    );
    const roundRatios = ceilingRounds.map((ceiling, i) => {
      const run = pipelineRounds[i]?.endToEnd?.jobsPerSecond;
      return run === undefined ? null : Math.round((run / ceiling.jobsPerSecond) * 1000) / 1000;
    });
    const endToEnd = median(
      pipelineRounds
        .map((r) => r.endToEnd?.jobsPerSecond)
        .filter((v): v is number => v !== undefined),
    );

    let latency: PipelineReport['latency'] = null;
    if (options.latencySeconds > 0 && endToEnd !== null) {
      checkAborted();
      const rate = Math.max(1, Math.round(endToEnd / 2));
      say(`latency: the producer streams ${rate} jobs/s for ${options.latencySeconds} s`);
      const run = await runThroughput(
        fleet,
        admin,
        probe,
        echo,
        rate * options.latencySeconds,
        'latency',
        say,
        ['--rate', String(rate), '--duration', String(options.latencySeconds)],
        'count',
      );
      if (run.error !== null) errors.push(`latency run: ${run.error}`);
      latency = { rate, run };
    }

    const loadAtEnd = loadavg()[0]!;
    const report: PipelineReport = {
      command: `npm run bench -- pipeline ${argv.join(' ')}`.trim(),
      date: new Date().toISOString(),
      gitCommit: gitCommit(),
      machine: machineFacts(),
      load: { start: loadAtStart, end: loadAtEnd, otherZooKeeperServers: otherServers },
      setup: {
        ensemble:
          `3 servers on 127.0.0.1, ZooKeeper ${srvr?.version.split(/[-,]/)[0] ?? 'unknown'}, ` +
          `tickTime ${options.tickMs} ms, -Xmx512m each, forceSync=no`,
        masters: MASTER_IDS.length,
        workers: options.workers,
        workerCapacity: options.capacity,
        assignBatchSize: options.batch,
        jobsPerRound: options.jobs,
        rounds: options.rounds,
        warmupJobs: options.warmup,
        ceilingWindow: options.window,
        transactionsPerJob: TRANSACTIONS_PER_JOB,
        dataBytes: DATA_BYTES,
      },
      endToEndJobsPerSecond: endToEnd,
      ceilingJobsPerSecond,
      ceilingTransactionsPerSecond: median(ceilingRounds.map((r) => r.transactionsPerSecond))!,
      ratio: endToEnd === null ? null : Math.round((endToEnd / ceilingJobsPerSecond) * 1000) / 1000,
      roundRatios,
      pairedRatio: exactMedian(roundRatios.filter((r): r is number => r !== null)),
      ceilingRounds,
      processCeiling: { ...processCeiling, processes: CEILING_PROCESSES },
      pipelineRounds,
      senders,
      latency,
      errors,
    };
    const markdown = renderPipeline(report);
    bench.publish('pipeline', report, markdown, options);
    return bench.ended(errors);
  } catch (error) {
    return bench.threw(error);
  } finally {
    await bench.cleanup();
  }
}

const SENDERS = [
  'leader',
  'workers',
  'producer (closed)',
  'bench',
  'standby master',
  'other sessions',
];

const ms = (d: Distribution | null, key: 'p50' | 'p99' | 'max'): string =>
  d === null ? '?' : `${d[key].toLocaleString('en')} ms`;

export function renderPipeline(report: PipelineReport): string {
  const lines = [
    '# The pipeline beside the ensemble’s ceiling',
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}; git commit ${report.gitCommit}`,
    `- machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory}, ${report.machine.os}, node ${report.machine.node}`,
    `- ensemble: ${report.setup.ensemble}`,
    `- system: ${report.setup.masters} masters, ${report.setup.workers} workers (workerCapacity ${report.setup.workerCapacity}), assignBatchSize ${report.setup.assignBatchSize}; ${report.setup.jobsPerRound.toLocaleString('en')} echo jobs per round, ${report.setup.rounds} rounds of each after a warm-up of ${report.setup.warmupJobs.toLocaleString('en')} jobs of each`,
    `- load average (1 min): ${report.load.start.toFixed(1)} at the start, ${report.load.end.toFixed(1)} at the end; ${report.load.otherZooKeeperServers} ZooKeeper server process(es) not started by this bench`,
    '',
    '## Headline',
    '',
    '| end to end | ceiling | ratio |',
    '| --- | --- | --- |',
    `| **${report.endToEndJobsPerSecond?.toLocaleString('en') ?? '?'} jobs/s** | ${report.ceilingJobsPerSecond.toLocaleString('en')} jobs/s (${report.ceilingTransactionsPerSecond.toLocaleString('en')} transactions/s ÷ ${report.setup.transactionsPerJob}) | **${report.ratio ?? '?'}** |`,
    '',
    `The ceiling: one client of @zk-lab/zk-client writes each job's ${report.setup.transactionsPerJob} transactions in order (the producer's multi[create job, create marker] and then its delete of the marker, beside the leader's multi[check epoch, create task, delete queued job]; the worker's multi[create result, delete task]), ${report.setup.ceilingWindow} jobs at once, with node data of ${report.setup.dataBytes.job}, ${report.setup.dataBytes.task} and ${report.setup.dataBytes.result} bytes. End to end: results / (last finished − first created), read from the result znodes. Both are medians of the rounds, which alternate.`,
    '',
    `Each pipeline round over the ceiling round just before it gave ${report.roundRatios.map((r) => r ?? '?').join(', ')}: their median, ${report.pairedRatio ?? '?'}, is the ratio of rounds that ran minutes apart at most, while the machine's speed moves between rounds.`,
    '',
    `From ${report.processCeiling.processes} processes at once, each a client of its own with a share of the jobs and the window (one round, after the others), the ceiling was ${report.processCeiling.jobsPerSecond.toLocaleString('en')} jobs/s (${report.processCeiling.transactionsPerSecond.toLocaleString('en')} transactions/s).`,
    '',
    '## Rounds',
    '',
    '| round | ceiling jobs/s | transactions/s | pipeline jobs/s | ratio | latency p50 | p99 | queued p50 | hand-off p50 | leader rounds |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.ceilingRounds.map((ceiling, i) => {
      const run = report.pipelineRounds[i];
      return `| ${i + 1} | ${ceiling.jobsPerSecond.toLocaleString('en')} | ${ceiling.transactionsPerSecond.toLocaleString('en')} | ${run?.endToEnd?.jobsPerSecond.toLocaleString('en') ?? '?'} | ${report.roundRatios[i] ?? '?'} | ${ms(run?.latencyMs ?? null, 'p50')} | ${ms(run?.latencyMs ?? null, 'p99')} | ${ms(run?.phasesMs.queued ?? null, 'p50')} | ${ms(run?.phasesMs.handoff ?? null, 'p50')} | ${run?.leader ? `${run.leader.rounds} for ${run.leader.assigned} jobs` : '?'} |`;
    }),
    '',
    '## What the servers did per job',
    '',
    'Summed over the three servers from `mntr` and /proc (server-work.ts): client requests taken (`zk_packets_received`), packets sent to clients (replies and watch notifications, `zk_packets_sent`), and CPU time of the server processes. The ceiling sends exactly its transactions; what the pipeline adds is its reads, watch notifications and the bench’s own polling of two stats.',
    '',
    '| round | ceiling requests | sent | server CPU | pipeline requests | sent | server CPU |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...report.ceilingRounds.map((round, i) => {
      const ceiling = round.servers ?? null;
      const pipeline = report.pipelineRounds[i]?.servers ?? null;
      const cpu = (w: ServerWork | null): string =>
        w?.cpuMsPerJob == null ? '?' : `${w.cpuMsPerJob} ms`;
      return `| ${i + 1} | ${ceiling?.requestsPerJob ?? '?'} | ${ceiling?.packetsSentPerJob ?? '?'} | ${cpu(ceiling)} | ${pipeline?.requestsPerJob ?? '?'} | ${pipeline?.packetsSentPerJob ?? '?'} | ${cpu(pipeline)} |`;
    }),
    '',
    'The pipeline’s requests per job by sender (`cons` per session; the producer’s session has closed when the round ends, so its share is the remainder of the total):',
    '',
    `| round | ${SENDERS.join(' | ')} |`,
    `| --- | ${SENDERS.map(() => '---').join(' | ')} |`,
    ...report.senders.map(
      (bySender, i) => `| ${i + 1} | ${SENDERS.map((s) => bySender[s] ?? 0).join(' | ')} |`,
    ),
    '',
    '## Where the CPU went',
    '',
    `CPU milliseconds per job in each pipeline round, from the producer’s start until the last job settled (/proc, cpu-use.ts): the machine as a whole (${report.machine.cores} cores are ${(report.machine.cores * 1000).toLocaleString('en')} ms per second), the three servers, the masters, the workers, this bench process (which polls two stats and reads the producer's output; the masters and workers write their logs to files themselves), and the rest: the producer and whatever else ran. The ceiling’s whole machine is at most ${(report.machine.cores * 1000).toLocaleString('en')} ms ÷ its jobs per second.`,
    '',
    `| round | machine | servers | masters | workers | bench | rest | ceiling's machine at most |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.pipelineRounds.map((run, i) => {
      const c = cpuPerJob(run);
      const ceiling = report.ceilingRounds[i];
      const bound =
        ceiling === undefined
          ? '?'
          : `${((report.machine.cores * 1000) / ceiling.jobsPerSecond).toFixed(2)} ms`;
      const f = (v: number | null): string => (v === null ? '?' : `${v.toFixed(2)} ms`);
      return `| ${i + 1} | ${f(c.machine)} | ${f(c.servers)} | ${f(c.masters)} | ${f(c.workers)} | ${f(c.bench)} | ${f(c.rest)} | ${bound} |`;
    }),
    '',
  ];
  if (report.latency !== null) {
    const run = report.latency.run;
    lines.push(
      '## Latency at half the end-to-end rate',
      '',
      `The producer streamed ${report.latency.rate} jobs/s (\`--rate ${report.latency.rate}\`): created → finished p50 ${ms(run.latencyMs, 'p50')}, p99 ${ms(run.latencyMs, 'p99')}, max ${ms(run.latencyMs, 'max')}; queued p50 ${ms(run.phasesMs.queued, 'p50')}, hand-off p50 ${ms(run.phasesMs.handoff, 'p50')}, run p50 ${ms(run.phasesMs.run, 'p50')}.`,
      '',
    );
  }
  if (report.errors.length > 0) {
    lines.push('## Errors', '', ...report.errors.map((e) => `- ${e}`), '');
  }
  return `${lines.join('\n')}\n`;
}

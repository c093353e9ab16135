/**
 * `npm run bench -- scale`: what happens to the master-worker system as the jobs grow in
 * number, and what fails first. One fresh system (scale-probe.ts reads it); levels of jobs
 * run one after the other on the same namespace, so that what jobs leave behind piles up.
 */
import { BenchRun } from './bench-run';
import { loadavg } from 'node:os';
import {
  intOption,
  reportOptions,
  reportSettings,
  machineFacts,
  parseBenchArgs,
  readOptions,
  UsageError,
  type Machine,
} from './bench-cli';
import { gitCommit } from './main';
import {
  JUTE_MAX_BUFFER,
  type LevelSamples,
  type ParentListing,
  LevelSampler,
  listParents,
  sequenceHeadroom,
} from './scale-probe';
import { startBenchSystem } from './system-setup';
import { JOB_MATRIX, runThroughput, type ThroughputRun } from './system-throughput';

export const SCALE_HELP = `Usage: npm run bench -- scale [options]

What happens to the master-worker system as the number of jobs grows, and what fails
first. A fresh private 3-server ensemble on 127.0.0.1, 2 masters and --workers workers
(capacity 16), /config at its defaults (queueMaxDepth 10,000: the producer is held back
while the queue is full), under /bench-scale with world READ as in the lab, so that
ZooKeeper's own zkCli.sh can list it without credentials.

For each level of --levels, one after the other on the same namespace (what the jobs
leave behind piles up), the producer CLI enqueues that many echo jobs and the bench waits
until all of them are settled. During the level, every second: the queue's depth (from its
Stat) and the memory (RSS) of the leader, the workers and the producer. After it: every
parent of the namespace with its children and the bytes of its listing (the getChildren
reply), whether zkCli.sh lists the largest ones (the Java tools refuse a reply over
jute.maxbuffer, 1 MB by default), and how many more jobs the queue's sequence allows
before it wraps (review F9). The report names what failed first.

The report is printed (markdown, or one JSON object with --json) and written to
bench/results/scale-<date>.md and .json (a second run on the same day replaces them).

Options:
  --levels LIST     jobs per level, comma-separated, up to 1000000 each (default 10000,100000)
  --workers N       worker processes                             (default 4)
  --session MS      ZK_SESSION_TIMEOUT_MS of every app           (default 4000)
  --json            print the JSON report instead of markdown
  --out DIR         where the report goes                        (default bench/results)
  --no-save         print the report only
  --keep-logs       keep the apps' logs (kept anyway when something failed)
  -h, --help        this text

The defaults take about 4 minutes on a 2-core machine; a level of 1,000,000 jobs takes
about 20 minutes more. Ctrl+C stops every server and process it started.`;

const ROOT = '/bench-scale';
const CAPACITY = 16;
const BATCH = 200;
const TICK_MS = 200;

interface Options {
  levels: number[];
  workers: number;
  sessionMs: number;
  json: boolean;
  out: string;
  save: boolean;
  keepLogs: boolean;
}

function parseOptions(argv: string[], benchDir: string): Options | 'help' {
  const values = parseBenchArgs(argv, {
    levels: { type: 'string', default: '10000,100000' },
    workers: { type: 'string', default: '4' },
    session: { type: 'string', default: '4000' },
    ...reportOptions(benchDir),
  });
  if (values.help) return 'help';
  const levels = values.levels.split(',').map((text) => intOption('levels', text, 1, 1_000_000));
  if (levels.length === 0) throw new UsageError('--levels needs at least one level');
  return {
    levels,
    workers: intOption('workers', values.workers, 1, 64),
    sessionMs: intOption('session', values.session, 400, 600_000),
    ...reportSettings(values),
  };
}

export interface ScaleLevel {
  jobs: number;
  /** Jobs enqueued so far, this level's included. */
  totalJobs: number;
  run: ThroughputRun;
  samples: LevelSamples;
  parents: ParentListing[];
  sequence: { cversion: number; jobsBeforeWrap: number };
  /** What went wrong at this level, in words; empty when nothing did. */
  failures: string[];
}

export interface ScaleReport {
  command: string;
  date: string;
  gitCommit: string;
  machine: Machine;
  load: { start: number; end: number };
  setup: { ensemble: string; masters: number; workers: number; workerCapacity: number };
  levels: ScaleLevel[];
  /** The first failure, with its level; null when every level passed. */
  firstFailure: { jobs: number; totalJobs: number; what: string } | null;
  errors: string[];
}

const say = (line: string): void => void process.stderr.write(`[scale] ${line}\n`);

/** What failed at a level: a listing too large for the Java tools, lost jobs, a refusal. */
function failuresOf(level: Omit<ScaleLevel, 'failures'>): string[] {
  const failures: string[] = [];
  for (const parent of level.parents) {
    if (parent.zkCli !== null && parent.zkCli.listed === false) {
      failures.push(`zkCli.sh cannot list ${parent.path} (${parent.zkCli.detail})`);
    } else if (parent.zkCli === null && parent.listingBytes > JUTE_MAX_BUFFER) {
      failures.push(
        `${parent.path} lists in ${parent.listingBytes.toLocaleString('en')} bytes, over jute.maxbuffer`,
      );
    }
  }
  const { run } = level;
  if (run.error !== null) failures.push(`the run: ${run.error}`);
  if (run.results.missing > 0) failures.push(`${run.results.missing} jobs without a result`);
  if (level.sequence.jobsBeforeWrap <= 0) failures.push('the queue sequence has wrapped');
  return failures;
}

export async function scaleMain(argv: string[], benchDir: string): Promise<number> {
  const options = readOptions(() => parseOptions(argv, benchDir), SCALE_HELP);
  if (typeof options === 'number') return options;
  // Every node the bench and the apps create also grants READ to everyone: zkCli.sh reads
  // without credentials (the lab does the same).
  process.env.ZK_WORLD_READ = '1';

  const bench = new BenchRun('scale', say, options.keepLogs);
  const { held, checkAborted } = bench;

  try {
    const loadAtStart = loadavg()[0]!;
    const system = await startBenchSystem(
      {
        root: ROOT,
        workers: options.workers,
        capacity: CAPACITY,
        batch: BATCH,
        sessionMs: options.sessionMs,
        tickMs: TICK_MS,
        queueDepth: 0, // the default queueMaxDepth: the producer is held back
      },
      bench.dirs(benchDir),
      held,
      say,
      checkAborted,
    );
    const { admin, fleet, probe, srvr, ensemble } = system;
    const errors: string[] = [];
    const levels: ScaleLevel[] = [];
    let totalJobs = 0;
    for (const jobs of options.levels) {
      checkAborted();
      totalJobs += jobs;
      say(
        `level: ${jobs.toLocaleString('en')} echo jobs (${totalJobs.toLocaleString('en')} in all)`,
      );
      const sampler = LevelSampler.start(admin, system);
      let run: ThroughputRun;
      try {
        // About 1 ms a job on this kind of machine; the backstop leaves it ten times that.
        run = await runThroughput(
          fleet,
          admin,
          probe,
          JOB_MATRIX[0]!,
          jobs,
          `producer-${jobs}`,
          say,
          ['--count', String(jobs), '--max-wait', '600'],
          'count',
          Math.max(400_000, jobs * 10),
        );
      } finally {
        await sampler.stop();
      }
      const parents = await listParents(admin, ensemble.connectString(), ROOT, say);
      const level = {
        jobs,
        totalJobs,
        run,
        samples: sampler.samples,
        parents,
        sequence: await sequenceHeadroom(admin),
      };
      const failures = failuresOf(level);
      levels.push({ ...level, failures });
      say(
        `level ${jobs}: ${run.endToEnd?.jobsPerSecond ?? '?'} jobs/s; ` +
          (failures.length === 0 ? 'nothing failed' : `failed: ${failures.join('; ')}`),
      );
      if (run.error !== null) errors.push(`level ${jobs}: ${run.error}`);
    }
    const first = levels.find((level) => level.failures.length > 0);
    const report: ScaleReport = {
      command: `npm run bench -- scale ${argv.join(' ')}`.trim(),
      date: new Date().toISOString(),
      gitCommit: gitCommit(),
      machine: machineFacts(),
      load: { start: loadAtStart, end: loadavg()[0]! },
      setup: {
        ensemble:
          `3 servers on 127.0.0.1, ZooKeeper ${srvr?.version.split(/[-,]/)[0] ?? 'unknown'}, ` +
          `tickTime ${TICK_MS} ms, -Xmx512m each, forceSync=no`,
        masters: system.masters.length,
        workers: options.workers,
        workerCapacity: CAPACITY,
      },
      levels,
      firstFailure: first
        ? { jobs: first.jobs, totalJobs: first.totalJobs, what: first.failures[0]! }
        : null,
      errors,
    };
    const markdown = renderScale(report);
    bench.publish('scale', report, markdown, options);
    return bench.ended(errors);
  } catch (error) {
    return bench.threw(error);
  } finally {
    await bench.cleanup();
  }
}

const mb = (bytes: number | null): string =>
  bytes === null ? '–' : `${Math.round(bytes / 2 ** 20).toLocaleString('en')} MB`;

export function renderScale(report: ScaleReport): string {
  const lines = [
    '# The system at scale',
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}; git commit ${report.gitCommit}`,
    `- machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory}, ${report.machine.os}, node ${report.machine.node}`,
    `- ensemble: ${report.setup.ensemble}`,
    `- system: ${report.setup.masters} masters, ${report.setup.workers} workers (workerCapacity ${report.setup.workerCapacity}), queueMaxDepth 10,000 (the default)`,
    `- load average (1 min): ${report.load.start.toFixed(1)} at the start, ${report.load.end.toFixed(1)} at the end`,
    '',
    '## What failed first',
    '',
    report.firstFailure === null
      ? 'Nothing: every level settled every job, every parent stayed listable and the sequence has room.'
      : `At the level of ${report.firstFailure.jobs.toLocaleString('en')} jobs (${report.firstFailure.totalJobs.toLocaleString('en')} in all): ${report.firstFailure.what}.`,
    '',
    '## Levels',
    '',
    'The levels ran one after the other on the same namespace. Jobs/s: results / (last finished − first created). Depth: the most jobs the queue held at once (its Stat, every second). Memory: the most resident memory (RSS) seen.',
    '',
    '| jobs | in all | end to end | settled | queue depth at most | leader RSS | a worker’s RSS | producer RSS | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.levels.map(
      (l) =>
        `| ${l.jobs.toLocaleString('en')} | ${l.totalJobs.toLocaleString('en')} | ${l.run.endToEnd ? `${l.run.endToEnd.jobsPerSecond.toLocaleString('en')} jobs/s` : '–'} ` +
        `| ${l.run.results.read.toLocaleString('en')} results, ${l.run.results.missing} missing | ${l.samples.maxQueueDepth.toLocaleString('en')} ` +
        `| ${mb(l.samples.rssBytes.leader)} | ${mb(l.samples.rssBytes.worker)} | ${mb(l.samples.rssBytes.producer)} | ${l.failures.join('; ') || 'nothing'} |`,
    ),
    '',
    '## Parents after each level',
    '',
    `Children and the bytes of the getChildren reply (4, and 4 + the name’s bytes per child); the Java tools, zkCli.sh among them, refuse a reply over jute.maxbuffer (${JUTE_MAX_BUFFER.toLocaleString('en')} bytes by default). zkCli.sh \`ls\` was run on each parent of more than 1,000 children. Listed here: \`/queue\` and every parent of 100 children or more (the JSON has them all).`,
    '',
    '| after | parent | children | listing | zkCli.sh ls |',
    '| --- | --- | --- | --- | --- |',
    ...report.levels.flatMap((l) =>
      l.parents
        .filter((p) => p.path === '/queue' || p.children >= 100)
        .map(
          (p) =>
            `| ${l.totalJobs.toLocaleString('en')} | \`${p.path}\` | ${p.children.toLocaleString('en')} | ${p.listingBytes.toLocaleString('en')} bytes ` +
            `| ${p.zkCli === null ? 'not run' : p.zkCli.listed ? 'listed' : `**refused**: ${p.zkCli.detail}`} |`,
        ),
    ),
    '',
    '## The queue’s sequence',
    '',
    'ZooKeeper names a sequential node with the parent’s cversion, an int32 that grows by one for every child created or deleted; a job costs the queue two (its create, and its delete at assignment). The jobs the sequence allows before it wraps: (2³¹ − 1 − cversion) ÷ 2.',
    '',
    '| after | /queue cversion | jobs before it wraps |',
    '| --- | --- | --- |',
    ...report.levels.map(
      (l) =>
        `| ${l.totalJobs.toLocaleString('en')} | ${l.sequence.cversion.toLocaleString('en')} | ${l.sequence.jobsBeforeWrap.toLocaleString('en')} |`,
    ),
    '',
  ];
  if (report.errors.length > 0)
    lines.push('## Errors', '', ...report.errors.map((e) => `- ${e}`), '');
  return lines.join('\n');
}

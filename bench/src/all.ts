/**
 * `npm run bench` (or `npm run bench -- all`): every benchmark, one after the other, each
 * with its defaults and its own fresh ensemble, then one summary of the run:
 * `bench/results/latest.json` (every report) and `bench/RESULTS.md` (their markdown, after
 * the machine, the command and the date).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineFacts, parseBenchArgs, readOptions } from './bench-cli';
import { failoverMain } from './failover';
import { locksMain } from './locks';
import { gitCommit, main as clientMain } from './main';
import { pipelineMain } from './pipeline';
import { scaleMain } from './scale';
import { systemMain } from './system';
import { dashboardMain } from './dashboard';
import { topMain } from './top';

export const ALL_HELP = `Usage: npm run bench [-- all]

Runs every benchmark with its defaults, one after the other, each on a fresh 3-server
ensemble of its own:

  client     our client beside the official Java client and the npm binding
  failover   a client's first accepted write after the ensemble leader is SIGKILLed
  system     the master-worker system end to end, and leader takeovers
  pipeline   the pipeline beside the ensemble's ceiling for its design, and their ratio
  locks      one lock at 1, 2, 4 and 8 contender processes
  scale      10,000 and then 100,000 jobs through one system, and what fails first
  top        the live view (lab top) in tmux on 10,000 znodes under 200 changes/s
  dashboard  the web dashboard in Chromium on 10,000 znodes under 200 changes/s

Each writes its own report (bench/results/<name>-<date>.md and .json); then this writes
bench/results/latest.json (every report of the run, with the machine and the commit) and
bench/RESULTS.md. A benchmark that fails is named at the end and the others still run
(exit 1). About 12 minutes on a 2-core machine. Each benchmark has --help for its options;
run one alone to change them.`;

interface Bench {
  name: string;
  run: (benchDir: string) => Promise<number>;
}

const BENCHES: readonly Bench[] = [
  { name: 'client', run: () => clientMain(['client']) },
  { name: 'failover', run: (dir) => failoverMain([], dir) },
  { name: 'system', run: (dir) => systemMain([], dir) },
  { name: 'pipeline', run: (dir) => pipelineMain([], dir) },
  { name: 'locks', run: (dir) => locksMain([], dir) },
  { name: 'scale', run: (dir) => scaleMain([], dir) },
  { name: 'top', run: (dir) => topMain([], dir) },
  { name: 'dashboard', run: (dir) => dashboardMain([], dir) },
];

const say = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

/** The report a benchmark wrote today (UTC), or on the day it started when it crossed midnight. */
function readReport(
  benchDir: string,
  name: string,
  days: string[],
): { json: unknown; markdown: string } | null {
  for (const day of days) {
    const base = join(benchDir, 'results', `${name}-${day}`);
    if (existsSync(`${base}.json`) && existsSync(`${base}.md`)) {
      return {
        json: JSON.parse(readFileSync(`${base}.json`, 'utf8')) as unknown,
        markdown: readFileSync(`${base}.md`, 'utf8'),
      };
    }
  }
  return null;
}

/** One heading level down, so that each report sits under its section. */
const demote = (markdown: string): string =>
  markdown.replace(/^(#+) /gm, (_, hashes: string) => `#${hashes} `);

export async function allMain(argv: string[], benchDir: string): Promise<number> {
  const options = readOptions(() => {
    const values = parseBenchArgs(argv, { help: { type: 'boolean', short: 'h', default: false } });
    return values.help ? 'help' : {};
  }, ALL_HELP);
  if (typeof options === 'number') return options;

  const started = new Date();
  const commit = gitCommit();
  const reports: Record<string, unknown> = {};
  const sections: string[] = [];
  const failed: string[] = [];
  for (const bench of BENCHES) {
    say(`${bench.name}: starting (npm run bench -- ${bench.name} --help for its options)`);
    const began = performance.now();
    const startDay = new Date().toISOString().slice(0, 10);
    const code = await bench.run(benchDir);
    const minutes = ((performance.now() - began) / 60_000).toFixed(1);
    const report = readReport(benchDir, bench.name, [
      new Date().toISOString().slice(0, 10),
      startDay,
    ]);
    if (code !== 0 || report === null) {
      failed.push(`${bench.name} (exit ${code}${report === null ? ', no report' : ''})`);
      say(`${bench.name}: FAILED after ${minutes} min (exit ${code})`);
      continue;
    }
    say(`${bench.name}: done in ${minutes} min`);
    reports[bench.name] = report.json;
    sections.push(`## ${bench.name}\n\n${demote(demote(report.markdown))}`);
  }

  const machine = machineFacts();
  const summary = {
    command: `npm run bench ${argv.join(' ')}`.trim(),
    date: started.toISOString(),
    gitCommit: commit,
    machine,
    failed,
    reports,
  };
  const latest = join(benchDir, 'results', 'latest.json');
  writeFileSync(latest, `${JSON.stringify(summary, null, 2)}\n`);
  const markdown = [
    '# Benchmark results',
    '',
    `- command: \`${summary.command}\``,
    `- date: ${summary.date}; git commit ${commit}`,
    `- machine: ${machine.cores} cores (${machine.cpu}), ${machine.memory}, ${machine.os}, node ${machine.node}`,
    `- failed: ${failed.length === 0 ? 'none' : failed.join(', ')}`,
    '',
    'Each section is one benchmark’s report from this run. Each also wrote bench/results/<name>-<date>.*, which a later run of that benchmark alone replaces (this file keeps this run).',
    '',
    ...sections,
  ].join('\n');
  const resultsMd = join(benchDir, 'RESULTS.md');
  writeFileSync(resultsMd, `${markdown.trimEnd()}\n`);
  say(`written: ${relative(process.cwd(), latest)} and ${relative(process.cwd(), resultsMd)}`);
  if (failed.length > 0) say(`failed: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

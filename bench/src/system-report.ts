/** The report of `bench system`: one JSON document, and the same as markdown. */
import type { Distribution } from './percentiles';
import type { ConfigPropagation } from './system-config';
import type { ThroughputRun } from './system-throughput';
import type { WorkerKillTrial } from './system-worker-kill';
import { FEED_INTERVAL_MS, type TakeoverSignal, type TakeoverTrial } from './system-takeover';

export interface TakeoverSummary {
  trials: number;
  /** Trials in which /epoch did not move on. */
  failed: number;
  ms: Pick<Distribution, 'min' | 'p50' | 'p90' | 'max'> | null;
  /** Signal → the new leader's first assignment (system-takeover.ts, FirstAssignment). */
  firstAssignmentMs?: Pick<Distribution, 'min' | 'p50' | 'p90' | 'max'> | null;
}

export interface SystemReport {
  command: string;
  date: string;
  gitCommit: string;
  machine: { cores: number; cpu: string; memory: string; os: string; node: string };
  /** Other work on the machine: the figures are only as quiet as it was. */
  load: { start: number; end: number; otherZooKeeperServers: number; caution: string };
  setup: {
    ensemble: string;
    root: string;
    masters: number;
    workers: number;
    workerCapacity: number;
    assignBatchSize: number;
    sessionTimeoutMs: number;
    /** What the servers granted the admin client for the same request. */
    negotiatedSessionTimeoutMs: number;
    jobs: number;
  };
  warmup: ThroughputRun | null;
  throughput: ThroughputRun[];
  takeovers: {
    trials: TakeoverTrial[];
    summary: Partial<Record<TakeoverSignal, TakeoverSummary>>;
  };
  /** A small run after the takeovers and worker kills: the system still works. */
  afterTakeovers: ThroughputRun | null;
  workerKills?: {
    trials: WorkerKillTrial[];
    firstElsewhereMs: Pick<Distribution, 'min' | 'p50' | 'p90' | 'max'> | null;
    lastElsewhereMs: Pick<Distribution, 'min' | 'p50' | 'p90' | 'max'> | null;
  };
  config?: ConfigPropagation | null;
  /** Log lines at warn or above, per app id. */
  logs: Record<string, { warn: number; error: number; messages: Record<string, number> }>;
  errors: string[];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : `${fmt(n)} ms`;

function settled(run: ThroughputRun): string {
  const wait = run.producer.summary?.wait;
  if (!wait) return 'unknown';
  const parts = [`${fmt(wait.done)} done`];
  if (wait.dead > 0) parts.push(`${wait.dead} dead`);
  if (wait.missing > 0) parts.push(`**${wait.missing} missing**`);
  if (wait.timedOut) parts.push('**timed out**');
  return parts.join(', ');
}

function throughputTable(runs: ThroughputRun[]): string[] {
  const lines = [
    '| job | enqueue rate | end-to-end | latency p50 | p95 | p99 | max | settled | retried |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const run of runs) {
    const s = run.producer.summary;
    lines.push(
      `| \`${run.type}\` \`${run.payload}\` × ${fmt(run.jobs)} ` +
        `| ${s ? `${fmt(s.jobsPerSecond)} jobs/s` : '–'} ` +
        `| ${run.endToEnd ? `**${fmt(run.endToEnd.jobsPerSecond)} jobs/s** (${fmt(run.endToEnd.spanMs)} ms)` : '–'} ` +
        `| ${ms(run.latencyMs?.p50)} | ${ms(run.latencyMs?.p95)} | ${ms(run.latencyMs?.p99)} | ${ms(run.latencyMs?.max)} ` +
        `| ${settled(run)} | ${run.retried} |`,
    );
  }
  return lines;
}

function phaseTable(runs: ThroughputRun[]): string[] {
  const lines = [
    '| job | queued (created → assigned) p50 / p99 / max | hand-off (assigned → started) p50 / p99 / max | run (started → finished) p50 / p99 / max |',
    '| --- | --- | --- | --- |',
  ];
  const cell = (d: Distribution | null): string =>
    d ? `${ms(d.p50)} / ${ms(d.p99)} / ${ms(d.max)}` : '–';
  for (const run of runs) {
    lines.push(
      `| \`${run.type}\` | ${cell(run.phasesMs.queued)} | ${cell(run.phasesMs.handoff)} | ${cell(run.phasesMs.run)} |`,
    );
  }
  return lines;
}

function workerTable(runs: ThroughputRun[]): string[] {
  const workers = [...new Set(runs.flatMap((r) => Object.keys(r.perWorker)))].sort();
  if (workers.length === 0) return ['(no results)'];
  const lines = [`| job | ${workers.join(' | ')} |`, `| --- |${' --- |'.repeat(workers.length)}`];
  for (const run of runs) {
    const total = Object.values(run.perWorker).reduce((a, b) => a + b, 0);
    const cells = workers.map((w) => {
      const n = run.perWorker[w] ?? 0;
      return `${fmt(n)} (${total === 0 ? 0 : Math.round((100 * n) / total)} %)`;
    });
    lines.push(`| \`${run.type}\` | ${cells.join(' | ')} |`);
  }
  return lines;
}

function leaderLines(runs: ThroughputRun[]): string[] {
  return runs.map((run) => {
    const l = run.leader;
    if (!l || l.rounds === 0) return `- \`${run.type}\`: –`;
    const span = run.endToEnd?.spanMs;
    return (
      `- \`${run.type}\`: ${l.id} ran ${fmt(l.rounds)} scheduling rounds and assigned ` +
      `${fmt(l.assigned)} jobs: ${(l.assigned / l.rounds).toFixed(1)} per round` +
      `${span === undefined ? '' : `, a round every ${fmt(span / l.rounds)} ms`}`
    );
  });
}

function cpuTable(runs: ThroughputRun[]): string[] {
  const labels = [...new Set(runs.flatMap((r) => Object.keys(r.cpu?.byProcess ?? {})))].sort(
    (a, b) => a.localeCompare(b, 'en', { numeric: true }),
  );
  const lines = [
    `| job | machine | ${labels.join(' | ')} | the rest |`,
    `| --- | --- |${' --- |'.repeat(labels.length + 1)}`,
  ];
  for (const run of runs) {
    const cpu = run.cpu;
    if (!cpu) continue;
    const ours = Object.values(cpu.byProcess).reduce((a, b) => a + b, 0);
    const cells = labels.map((label) => cpu.byProcess[label]?.toFixed(2) ?? '–');
    const rest = cpu.machineCores === null ? '–' : Math.max(cpu.machineCores - ours, 0).toFixed(2);
    lines.push(
      `| \`${run.type}\` | ${cpu.machineCores?.toFixed(2) ?? '–'} | ${cells.join(' | ')} | ${rest} |`,
    );
  }
  return lines;
}

export function renderMarkdown(report: SystemReport): string {
  const { setup } = report;
  const lines: string[] = [
    '# Master-worker system, end to end',
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}; git commit ${report.gitCommit}`,
    `- machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory}, ${report.machine.os}, node ${report.machine.node}`,
    `- ensemble: ${setup.ensemble}`,
    `- system: 2 masters, ${setup.workers} workers (workerCapacity ${setup.workerCapacity}, so ` +
      `${setup.workers * setup.workerCapacity} jobs at once), assignBatchSize ${setup.assignBatchSize}, ` +
      `root ${setup.root}; session timeout ${setup.sessionTimeoutMs} ms requested by every app ` +
      `(${setup.negotiatedSessionTimeoutMs} ms granted for the same request); every app a process of its own`,
    `- load: ${report.load.caution}`,
    '',
    `## Throughput: ${fmt(setup.jobs)} jobs per type`,
    '',
    'The producer CLI enqueues the jobs (`--count N --wait --json`, pipelined creates) and waits ' +
      "for every result. *Enqueue rate*: the producer's own figure. *End-to-end*: results / " +
      '(last `finished` − first `created`), from the result znodes. Latency: created → finished, ' +
      'nearest rank.',
    '',
    ...throughputTable(report.throughput),
    '',
    'Where the time goes (from the timestamps on each result):',
    '',
    ...phaseTable(report.throughput),
    '',
    'Results per worker:',
    '',
    ...workerTable(report.throughput),
    '',
    'The leader during each run (its GET /status totals):',
    '',
    ...leaderLines(report.throughput),
    '',
    `CPU used from the producer's start to its exit, in cores (${report.machine.cores} in all): ` +
      'the machine as a whole, each process of the system (zk1–3 are the servers; bench is ' +
      'this process, which only waits meanwhile), and the rest: the producer and whatever ' +
      'else ran on the machine.',
    '',
    ...cpuTable(report.throughput),
    '',
  ];
  if (report.warmup) {
    const w = report.warmup;
    lines.push(
      `Before these, a warm-up of ${fmt(w.jobs)} \`echo\` jobs (not counted): ` +
        `${w.endToEnd ? `${fmt(w.endToEnd.jobsPerSecond)} jobs/s end to end` : 'no figure'}, ${settled(w)}.`,
      '',
    );
  }

  const session = setup.sessionTimeoutMs;
  lines.push(
    '## Leader takeover',
    '',
    'Time from the signal to the leading master until `/epoch` has a newer version (the other ' +
      'master leads and has fenced the old one), seen by an exists watch from an admin client ' +
      `(a 50 ms poll as a backstop). Session timeout ${session} ms. After each trial the ` +
      'signalled master is started again (same id and port) and the next trial waits until it follows. ' +
      '*First assignment*: from the signal to the first task node the new leader created, seen by ' +
      "the admin client's watches on `/epoch` and `/assign` (one session gets its notifications in " +
      "the order of the changes, so a task created after the `/epoch` change is the new term's), " +
      `while an echo job was enqueued every ${FEED_INTERVAL_MS} ms, so that the new leader has work at once.`,
    '',
    '| signal | trials | takeover median | min | p90 | max | first assignment median | min | p90 | max |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const [signal, s] of Object.entries(report.takeovers.summary)) {
    const failed = s.failed > 0 ? ` (**${s.failed} without takeover**)` : '';
    const f = s.firstAssignmentMs;
    lines.push(
      `| ${signal} | ${s.trials}${failed} | ${ms(s.ms?.p50)} | ${ms(s.ms?.min)} | ${ms(s.ms?.p90)} | ${ms(s.ms?.max)} ` +
        `| ${ms(f?.p50)} | ${ms(f?.min)} | ${ms(f?.p90)} | ${ms(f?.max)} |`,
    );
  }
  lines.push(
    '',
    '| signal | trial | leader killed → new | takeover | first assignment | seen by | epoch claims | new epoch | old master ended | back as follower after |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.takeovers.trials.map(
      (t) =>
        `| ${t.signal} | ${t.trial} | ${t.killed} → ${t.newLeader ?? '?'} | ${ms(t.takeoverMs)} | ${ms(t.firstAssignmentMs)} | ${t.seenBy ?? '–'} ` +
        `| ${t.epochClaims} | ${t.newEpoch ?? '–'} | ${t.oldExit}${t.oldExitMs === null ? '' : ` after ${fmt(t.oldExitMs)} ms`} ` +
        `| ${ms(t.rejoinMs)}${t.error ? ` — ${t.error}` : ''} |`,
    ),
    '',
  );
  const kills = report.workerKills;
  if (kills && kills.trials.length > 0) {
    const f = kills.firstElsewhereMs;
    const l = kills.lastElsewhereMs;
    lines.push(
      '## Worker kill',
      '',
      'A worker holding tasks (sleep jobs) is SIGKILLed; the time until each of its tasks is ' +
        "created under another worker's folder, seen by the admin client's persistent recursive " +
        'watch on `/assign`. Its tasks stay its own until its session expires ' +
        `(${session} ms); then the leader hands them back and assigns them to workers with free ` +
        'slots. The worker is then started again with the same id.',
      '',
      '| trials | first task elsewhere median | min | max | last task elsewhere median | min | max |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      `| ${kills.trials.length} | ${ms(f?.p50)} | ${ms(f?.min)} | ${ms(f?.max)} | ${ms(l?.p50)} | ${ms(l?.min)} | ${ms(l?.max)} |`,
      '',
      '| trial | worker | tasks held | first elsewhere | last elsewhere |',
      '| --- | --- | --- | --- | --- |',
      ...kills.trials.map(
        (t) =>
          `| ${t.trial} | ${t.killed} | ${t.tasks} | ${ms(t.firstElsewhereMs)} | ${ms(t.lastElsewhereMs)}${t.error ? ` — ${t.error}` : ''} |`,
      ),
      '',
    );
  }
  if (report.afterTakeovers) {
    const a = report.afterTakeovers;
    lines.push(
      `After the takeovers and worker kills, ${fmt(a.jobs)} \`echo\` jobs: ${settled(a)}` +
        `${a.latencyMs ? `, latency p50 ${ms(a.latencyMs.p50)}, max ${ms(a.latencyMs.max)}` : ''}; ` +
        `epochs on their results: ${a.epochs.join(', ') || '–'}.`,
      '',
    );
  }

  const config = report.config;
  if (config) {
    const a = config.appliedMs;
    const all = config.allAppliedMs;
    lines.push(
      '## Live config',
      '',
      `With ${config.processes} app processes running, the admin rewrote \`/config\` ${config.trials.length} times ` +
        '(maxPayloadBytes moved by one byte). Each figure is the time from just before the write ' +
        "was sent to the process's log line `config version V applied` (pino's time, the same " +
        "clock): the watch's notification, the read, the validation and the apply.",
      '',
      '| processes × trials | p50 | p90 | p99 | max | all applied, median | max | not applied |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${config.processes} × ${config.trials.length} | ${ms(a?.p50)} | ${ms(a?.p90)} | ${ms(a?.p99)} | ${ms(a?.max)} | ${ms(all?.p50)} | ${ms(all?.max)} | ${config.missed} |`,
      '',
    );
  }
  lines.push(
    '## Warnings and errors the apps logged',
    '',
    '| app | warn | error | messages (count) |',
    '| --- | --- | --- | --- |',
  );
  for (const [app, tally] of Object.entries(report.logs)) {
    const messages = Object.entries(tally.messages)
      .sort((a, b) => b[1] - a[1])
      .map(([msg, n]) => `${msg.replace(/\|/g, '\\|')} (${n})`)
      .join('; ');
    lines.push(`| ${app} | ${tally.warn} | ${tally.error} | ${messages || '–'} |`);
  }
  lines.push('');
  if (report.errors.length > 0) {
    lines.push('## Errors', '', ...report.errors.map((e) => `- ${e}`), '');
  }
  return lines.join('\n');
}

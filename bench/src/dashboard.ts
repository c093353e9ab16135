/**
 * `npm run bench -- dashboard`: the web dashboard (`lab dashboard`, read-only, the built
 * apps/lab CLI) in headless Chromium on 10,000 znodes, first idle and then under a writer
 * making 200 changes a second. Measured in the browser: how long a click takes to be
 * answered on the screen (issue 12: "input answered within 100 ms"), the browser's own Event
 * Timing of every slow input and its long tasks, and how long a change takes to reach the
 * screen beside a plain ZkClient with a persistent recursive watch (the peer, on the same
 * changes). CPU and memory of the dashboard's server and of Chromium from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ensemble } from '@zk-lab/deploy';
import { AddWatchMode, EventType, ZkClient } from '@zk-lab/zk-client';
import type { Page } from 'playwright-core';
import {
  benchFailed,
  intOption,
  type Machine,
  machineFacts,
  parseBenchArgs,
  readOptions,
  saveReport,
  stopOnSignals,
} from './bench-cli';
import { BenchBrowser, type PageTimings } from './dashboard-page';
import { gitCommit } from './main';
import { type Distribution, distribution, roundDistribution } from './percentiles';
import { procUsage } from './top-terminal';
import { startBenchTree, Writer } from './tree-writer';

export const DASHBOARD_HELP = `Usage: npm run bench -- dashboard [options]

The web dashboard (\`lab dashboard --root /bench-dash\`, read-only, from the built
apps/lab/dist/main.js) in headless Chromium (Debian's, driven by playwright-core), 1400 x 900,
on /bench-dash of one fresh 3-server ZooKeeper ensemble on 127.0.0.1 (tickTime 200 ms)
holding --parents × --children znodes (10,000), three parents expanded in the tree.
Two phases:

  idle  --idle-seconds with no other writes (the baseline)
  load  --seconds with a writer making --rate changes a second under the parents

Every --probe-ms (500) during each phase:
  change → screen  a setData of /bench-dash/marker with a new value; from the write's
                   reply to the first animation frame at which the marker's tree row
                   shows it (timed in the page)
  the peer         the same write, to the NodeDataChanged event of a plain ZkClient with
                   its own persistent recursive watch on /bench-dash
  click → answered a click on a tree row (the marker's and the first parent's in
                   turn); from the input's own timestamp to the first frame at which
                   the node pane shows that node

Reported per phase: p50, p95 and max of the three; the ratios view / peer and load / idle;
the browser's Event Timing entries of 16 ms or more (input to next paint) and its long
tasks; CPU (% of one core) and memory of the dashboard's server and of Chromium. The report
is printed (markdown, or with --json one JSON object) and written to
bench/results/dashboard-<date>.md and .json.

Options:
  --parents N        parents under /bench-dash                 (default 100)
  --children N       children of each parent                   (default 100)
  --rate N           the writer's changes per second           (default 200)
  --seconds S        length of the load phase                  (default 30)
  --idle-seconds S   length of the idle phase                  (default 10)
  --probe-ms MS      one marker change and one click per MS    (default 500)
  --cpu-profile FILE a CPU profile of the page's main thread during the load phase
                     (Chrome DevTools' .cpuprofile); build the page with
                     ZK_DASHBOARD_MINIFY=0 for function names
  --json             print the JSON report instead of markdown
  --out DIR          where the report goes                     (default bench/results)
  --no-save          print the report only
  -h, --help         this text

It takes about 1.5 minutes. Ctrl+C stops every server and process it started.`;

const ROOT = '/bench-dash';
const MARKER = `${ROOT}/marker`;
const VIEWPORT = { width: 1400, height: 900 };
const PROBE_TIMEOUT_MS = 10_000;
const EXPANDED = 3;

interface Options {
  parents: number;
  children: number;
  rate: number;
  seconds: number;
  idleSeconds: number;
  probeMs: number;
  cpuProfile: string | null;
  json: boolean;
  out: string;
  save: boolean;
}

function parseOptions(argv: string[], benchDir: string): Options | 'help' {
  const values = parseBenchArgs(argv, {
    parents: { type: 'string', default: '100' },
    children: { type: 'string', default: '100' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
    'idle-seconds': { type: 'string', default: '10' },
    'probe-ms': { type: 'string', default: '500' },
    'cpu-profile': { type: 'string' },
    json: { type: 'boolean', default: false },
    out: { type: 'string', default: join(benchDir, 'results') },
    'no-save': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  return {
    parents: intOption('parents', values.parents, EXPANDED, 1000),
    children: intOption('children', values.children, 1, 200_000),
    rate: intOption('rate', values.rate, 1, 10_000),
    seconds: intOption('seconds', values.seconds, 1, 3600),
    idleSeconds: intOption('idle-seconds', values['idle-seconds'], 1, 3600),
    probeMs: intOption('probe-ms', values['probe-ms'], 100, 60_000),
    cpuProfile: values['cpu-profile'] ?? null,
    json: values.json,
    out: values.out,
    save: !values['no-save'],
  };
}

const say = (line: string): void => void process.stderr.write(`[dashboard] ${line}\n`);
const wall = (): number => performance.timeOrigin + performance.now();
const rowSelector = (path: string): string => `[data-testid="tree-row"][data-path="${path}"]`;

type PhaseName = 'idle' | 'load';

interface PhaseResult {
  name: PhaseName;
  seconds: number;
  changesPerSecond: number;
  changeToScreenMs: Distribution | null;
  /** From the write's call: the view (page) and the peer (event). */
  fromSend: { view: Distribution | null; peer: Distribution | null };
  ratioFromSend: { p50: number | null; p95: number | null };
  clickAnsweredMs: Distribution | null;
  clicksOver100ms: number;
  /**
   * The browser's Event Timing, per interaction (a click) that took 16 ms or more from the
   * input to the next paint: how many, their durations, and how many took over 100 ms.
   */
  slowInputs: { count: number; durationMs: Distribution | null; over100ms: number };
  longTasks: { count: number; totalMs: number; maxMs: number };
  missed: { changes: number; clicks: number };
  cpu: { serverPercent: number; chromiumPercent: number };
  rssMb: { server: number; chromium: number };
}

class Probe {
  private peerSeen: number | null = null;
  private peerWaiting = false;

  constructor(
    private readonly page: Page,
    private readonly browser: BenchBrowser,
    private readonly admin: ZkClient,
    private readonly serverPid: number,
    private readonly clickRows: string[],
    private readonly options: Options,
  ) {}

  peerEvent(at: number): void {
    if (this.peerWaiting && this.peerSeen === null) this.peerSeen = at;
  }

  async phase(
    name: PhaseName,
    seconds: number,
    markers: { next: number },
    writer: Writer | null,
  ): Promise<PhaseResult> {
    const viewFromSend: number[] = [];
    const peerFromSend: number[] = [];
    const change: number[] = [];
    const clicks: number[] = [];
    const missed = { changes: 0, clicks: 0 };
    await this.page.evaluate('window.__bench.take()');
    const before = { server: procUsage(this.serverPid), chromium: this.browser.usage() };
    const started = performance.now();
    const end = started + seconds * 1000;
    let turn = 0;
    while (performance.now() < end) {
      const slot = performance.now();
      const value = `mark-${String(++markers.next).padStart(6, '0')}`;
      await this.page.evaluate(
        `window.__bench.arm(${JSON.stringify(rowSelector(MARKER))}, ${JSON.stringify(value)}, ${PROBE_TIMEOUT_MS})`,
      );
      this.peerSeen = null;
      this.peerWaiting = true;
      const called = wall();
      await this.admin.setData(MARKER, value);
      const acked = wall();
      const seen = await this.page.evaluate<number | null>('window.__bench.seen()');
      if (seen === null) missed.changes += 1;
      else {
        change.push(seen - acked);
        viewFromSend.push(seen - called);
      }
      if (this.peerSeen !== null) peerFromSend.push(this.peerSeen - called);
      this.peerWaiting = false;

      const target = this.clickRows[turn++ % this.clickRows.length]!;
      await this.page.evaluate(
        `window.__bench.armInput('[data-testid="node-detail"]', 'data-path', ${JSON.stringify(target)}, ${PROBE_TIMEOUT_MS})`,
      );
      await this.page.click(`${rowSelector(target)}`);
      const answered = await this.page.evaluate<number | null>('window.__bench.answered()');
      if (answered === null) missed.clicks += 1;
      else clicks.push(answered);

      const rest = slot + this.options.probeMs - performance.now();
      if (rest > 0) await sleep(Math.min(rest, end - performance.now()));
    }
    const elapsedMs = performance.now() - started;
    const after = { server: procUsage(this.serverPid), chromium: this.browser.usage() };
    const written = writer === null ? null : await writer.stop();
    const timings = await this.page.evaluate<PageTimings>('window.__bench.take()');
    const percent = (ms: number): number => Math.round((ms / elapsedMs) * 1000) / 10;
    const view = roundDistribution(distribution(viewFromSend));
    const peer = roundDistribution(distribution(peerFromSend));
    const ratio = (key: 'p50' | 'p95'): number | null =>
      view && peer && peer[key] > 0 ? Math.round((view[key] / peer[key]) * 10) / 10 : null;
    return {
      name,
      seconds: Math.round(elapsedMs / 100) / 10,
      changesPerSecond: written === null ? 0 : Math.round(written.changes / written.seconds),
      changeToScreenMs: roundDistribution(distribution(change)),
      fromSend: { view, peer },
      ratioFromSend: { p50: ratio('p50'), p95: ratio('p95') },
      clickAnsweredMs: roundDistribution(distribution(clicks)),
      clicksOver100ms: clicks.filter((ms) => ms > 100).length,
      slowInputs: slowInteractions(timings),
      longTasks: {
        count: timings.longTasks.length,
        totalMs: Math.round(timings.longTasks.reduce((a, b) => a + b, 0)),
        maxMs: Math.round(Math.max(0, ...timings.longTasks)),
      },
      missed,
      cpu: {
        serverPercent: percent((after.server?.cpuMs ?? 0) - (before.server?.cpuMs ?? 0)),
        chromiumPercent: percent(after.chromium.cpuMs - before.chromium.cpuMs),
      },
      rssMb: {
        server: Math.round((after.server?.rssBytes ?? 0) / 2 ** 20),
        chromium: Math.round(after.chromium.rssBytes / 2 ** 20),
      },
    };
  }
}

/** The longest entry of each interaction, as "Interaction to Next Paint" counts it. */
function slowInteractions(timings: PageTimings): PhaseResult['slowInputs'] {
  const longest = new Map<number, number>();
  for (const e of timings.events) {
    longest.set(e.interaction, Math.max(longest.get(e.interaction) ?? 0, e.duration));
  }
  const durations = [...longest.values()];
  return {
    count: durations.length,
    durationMs: roundDistribution(distribution(durations)),
    over100ms: durations.filter((ms) => ms > 100).length,
  };
}

export interface DashboardReport {
  command: string;
  date: string;
  gitCommit: string;
  machine: Machine;
  load: { start: number[]; end: number[] };
  ensemble: string;
  browser: string;
  tree: { parents: number; children: number; expanded: number };
  /** From the page's load to the tree showing the marker's row. */
  pageReadySeconds: number;
  phases: PhaseResult[];
  /** Click → answered, p50 and p95 under load over idle. */
  loadOverIdle: { p50: number | null; p95: number | null };
  writerErrors: string[];
}

/** Starts `lab dashboard` (read-only) and resolves with its URL once it prints it. */
async function startDashboard(
  labMain: string,
  connect: string,
  repoDir: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [labMain, 'dashboard', '--connect', connect, '--root', ROOT, '--port', '0'],
    { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((found, failed) => {
    const timer = setTimeout(
      () => failed(new Error(`lab dashboard printed no URL within 30 s:\n${output}`)),
      30_000,
    );
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /http:\/\/\S+/.exec(output);
      if (match) {
        clearTimeout(timer);
        found(match[0]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      failed(new Error(`lab dashboard exited (${code}) before serving:\n${output}`));
    });
  });
  return { child, url };
}

export async function dashboardMain(argv: string[], benchDir: string): Promise<number> {
  const options = readOptions(() => parseOptions(argv, benchDir), DASHBOARD_HELP);
  if (typeof options === 'number') return options;
  const repoDir = resolve(benchDir, '..');
  const labMain = join(repoDir, 'apps', 'lab', 'dist', 'main.js');
  const runDir = mkdtempSync(join(tmpdir(), 'zk-lab-bench-dashboard-'));
  const browser = new BenchBrowser();
  const clients: ZkClient[] = [];
  let ensemble: Ensemble | null = null;
  let server: ChildProcess | null = null;
  let stopping: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    stopping ??= (async () => {
      await browser.close();
      if (server !== null && server.exitCode === null) server.kill('SIGTERM');
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      if (ensemble !== null) {
        say('stopping the ensemble');
        await ensemble.stop();
      }
      rmSync(runDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const offSignals = stopOnSignals(cleanup, say);
  const onExit = (): void => void server?.kill('SIGKILL');
  process.once('exit', onExit);

  try {
    const loadStart = loadavg().map((l) => Math.round(l * 100) / 100);
    say(`load average ${loadStart.join(' ')}; starting a 3-server ensemble in ${runDir}`);
    const { srvr, connect, admin, parents, leaves } = await startBenchTree(
      runDir,
      ROOT,
      MARKER,
      options,
      say,
      (started, client) => {
        ensemble = started;
        if (client !== null) clients.push(client);
      },
    );

    const started = await startDashboard(labMain, connect, repoDir);
    server = started.child;
    say(`lab dashboard serves ${started.url} (pid ${server.pid}); opening it in Chromium`);
    const opened = performance.now();
    const page = await browser.open(started.url, VIEWPORT);
    await page.waitForSelector(rowSelector(MARKER), { timeout: 60_000 });
    const pageReadySeconds = Math.round((performance.now() - opened) / 10) / 100;
    // The last first: each expansion pushes what is below it out of the (virtualized) view.
    for (const parent of parents.slice(0, EXPANDED).reverse()) {
      await page.click(`${rowSelector(parent)} [data-testid="tree-toggle"]`);
      await page.waitForSelector(rowSelector(`${parent}/c0`), { timeout: 30_000 });
    }
    say(`the tree shows ${ROOT} after ${pageReadySeconds} s; ${EXPANDED} parents expanded`);

    const probe = new Probe(page, browser, admin, server.pid!, [MARKER, parents[0]!], options);
    const peer = await ZkClient.connect({ connectString: connect, sessionTimeoutMs: 10_000 });
    clients.push(peer);
    await peer.addWatch(ROOT, AddWatchMode.PERSISTENT_RECURSIVE, (event) => {
      if (event.path === MARKER && event.type === EventType.NodeDataChanged) {
        probe.peerEvent(wall());
      }
    });
    const markers = { next: 0 };
    say('warm-up: 3 s of probes, not counted');
    await probe.phase('idle', 3, markers, null);
    const phases: PhaseResult[] = [];
    say(`idle: ${options.idleSeconds} s of probes, no other writes`);
    phases.push(await probe.phase('idle', options.idleSeconds, markers, null));
    sayPhase(phases[0]!);
    const writerClient = await ZkClient.connect({
      connectString: connect,
      sessionTimeoutMs: 10_000,
    });
    clients.push(writerClient);
    const writer = new Writer(writerClient, options.rate, parents, leaves);
    say(`load: ${options.rate} changes/s for ${options.seconds} s, with the probes`);
    const profiler = options.cpuProfile === null ? null : await page.context().newCDPSession(page);
    if (profiler !== null) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.start');
    }
    writer.start();
    phases.push(await probe.phase('load', options.seconds, markers, writer));
    if (profiler !== null && options.cpuProfile !== null) {
      const { profile } = await profiler.send('Profiler.stop');
      writeFileSync(options.cpuProfile, JSON.stringify(profile));
      say(`the page's CPU profile of the load phase: ${options.cpuProfile}`);
    }
    sayPhase(phases[1]!);
    const pageErrors = await page.evaluate<string | null>(
      'document.querySelector(\'[data-testid="error-banner"]\')?.textContent ?? null',
    );

    const idle = phases[0]!.clickAnsweredMs;
    const load = phases[1]!.clickAnsweredMs;
    const over = (key: 'p50' | 'p95'): number | null =>
      idle && load && idle[key] > 0 ? Math.round((load[key] / idle[key]) * 10) / 10 : null;
    const report: DashboardReport = {
      command: `npm run bench -- dashboard ${argv.join(' ')}`.trim(),
      date: new Date().toISOString(),
      gitCommit: gitCommit(),
      machine: machineFacts(),
      load: { start: loadStart, end: loadavg().map((l) => Math.round(l * 100) / 100) },
      ensemble: `3 servers on 127.0.0.1, ZooKeeper ${srvr?.version.split(/[-,]/)[0] ?? 'unknown'}, tickTime 200 ms, -Xmx512m each`,
      browser: `Chromium ${browser.version()} (headless, playwright-core), ${VIEWPORT.width} x ${VIEWPORT.height}`,
      tree: { parents: options.parents, children: options.children, expanded: EXPANDED },
      pageReadySeconds,
      phases,
      loadOverIdle: { p50: over('p50'), p95: over('p95') },
      writerErrors: writer.errors,
    };
    const markdown = renderDashboard(report, options);
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `\n${markdown}`);
    if (options.save) saveReport(options.out, 'dashboard', report, markdown, say);
    if (pageErrors !== null) say(`the page showed an error: ${pageErrors}`);
    const missed = phases.some((p) => p.missed.changes + p.missed.clicks > 0);
    return missed || pageErrors !== null || writer.errors.length > 0 ? 1 : 0;
  } catch (error) {
    return benchFailed(error);
  } finally {
    await cleanup();
    offSignals();
    process.off('exit', onExit);
  }
}

function sayPhase(p: PhaseResult): void {
  const d = (x: Distribution | null): string => (x === null ? '?' : `${x.p50}/${x.p95}/${x.max}`);
  say(
    `${p.name}: click → answered ${d(p.clickAnsweredMs)} ms (p50/p95/max, ${p.clicksOver100ms} over 100 ms), ` +
      `change → screen ${d(p.changeToScreenMs)} ms, peer from the call ${d(p.fromSend.peer)} ms; ` +
      `${p.longTasks.count} long tasks; server CPU ${p.cpu.serverPercent} %, Chromium ${p.cpu.chromiumPercent} %` +
      (p.name === 'idle' ? '' : `; ${p.changesPerSecond} changes/s written`),
  );
}

export function renderDashboard(report: DashboardReport, options: Options): string {
  const row = (label: string, d: Distribution | null): string =>
    d === null
      ? `| ${label} | ? | ? | ? | 0 |`
      : `| ${label} | ${d.p50} | ${d.p95} | ${d.max} | ${d.count} |`;
  const label = (p: PhaseResult): string =>
    p.name === 'idle' ? 'idle' : `load (${p.changesPerSecond} changes/s)`;
  const latencies = report.phases.flatMap((p) => [
    row(`${label(p)}: click → answered`, p.clickAnsweredMs),
    row(`${label(p)}: change → screen (from the reply)`, p.changeToScreenMs),
    row(`${label(p)}: write's call → screen (the page)`, p.fromSend.view),
    row(`${label(p)}: write's call → event (the peer)`, p.fromSend.peer),
    row(`${label(p)}: Event Timing, interactions of 16 ms or more`, p.slowInputs.durationMs),
  ]);
  const facts = report.phases.map((p) =>
    [
      '',
      p.name,
      `${p.seconds} s`,
      `${p.clicksOver100ms} / ${p.slowInputs.over100ms}`,
      `${p.ratioFromSend.p50 ?? '?'}× / ${p.ratioFromSend.p95 ?? '?'}×`,
      `${p.longTasks.count} (${p.longTasks.totalMs} ms, longest ${p.longTasks.maxMs} ms)`,
      `${p.cpu.serverPercent} % / ${p.cpu.chromiumPercent} %`,
      `${p.rssMb.server} / ${p.rssMb.chromium} MB`,
      `${p.missed.changes} / ${p.missed.clicks}`,
      '',
    ]
      .join(' | ')
      .trim(),
  );
  return `${[
    `# The web dashboard on ${(report.tree.parents * report.tree.children).toLocaleString('en-US')} znodes under ${options.rate} changes a second`,
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}; git commit ${report.gitCommit}`,
    `- machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory}, ${report.machine.os}, node ${report.machine.node}; load average (1, 5, 15 min) ${report.load.start.join(', ')} at the start, ${report.load.end.join(', ')} at the end`,
    `- ensemble: ${report.ensemble}`,
    `- the page: \`lab dashboard --connect … --root ${ROOT}\` in ${report.browser}; the tree showed ${ROOT} ${report.pageReadySeconds} s after the page was opened; ${report.tree.parents} parents of ${report.tree.children}, ${report.tree.expanded} of them expanded`,
    `- probes: every ${options.probeMs} ms a setData of ${MARKER}, then a click on a tree row (the marker's and the first parent's in turn); 3 s of probes first as a warm-up, not counted`,
    '',
    '| phase: what | p50 ms | p95 ms | max ms | count |',
    '| --- | --- | --- | --- | --- |',
    ...latencies,
    '',
    '| phase | length | clicks over 100 ms: answered / to the next paint (Event Timing) | page / peer from the call (p50 / p95) | long tasks | CPU of one core: server / Chromium | RSS: server / Chromium | missed changes / clicks |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...facts,
    '',
    `Click → answered under load over idle: ${report.loadOverIdle.p50 ?? '?'}× at p50, ${report.loadOverIdle.p95 ?? '?'}× at p95.${report.writerErrors.length ? ` The writer's errors: ${report.writerErrors.join('; ')}.` : ''}`,
    '',
    "Click → answered: from the pointerdown's own timestamp (taken by the browser as the input came in) to the first animation frame at which the node pane shows the clicked node; the pane's data comes from the server (`/api/node`), so this includes one local HTTP round trip. Event Timing: the browser's own measure from the input to the next paint, per interaction (the longest of its events, as Chrome's Interaction to Next Paint counts it), for each that took 16 ms or more (the least the API reports). Change → screen: from the reply to the marker write to the first frame at which the marker's tree row shows its new value. The peer: the same write to the NodeDataChanged event of a plain ZkClient with its own persistent recursive watch (in this process); both are timed from the write's call, where the ratio is defined. CPU: user + system time over the phase from /proc, as a share of one core; Chromium's is every process of its profile.",
  ].join('\n')}\n`;
}

/**
 * `npm run bench -- top`: the live view (`lab top`, the built apps/lab CLI) in a real
 * terminal (tmux) on 10,000 znodes, first idle and then under a writer making 200 changes a
 * second: how long a change takes to reach the screen, beside a plain ZkClient with its own
 * persistent recursive watch on the same subtree (the peer, measured on the same changes);
 * how long a key takes to move the selection; whether the status line ever says `falling
 * behind`; and the view's CPU and memory (/proc). Issue 11: "it stays smooth with 10,000
 * znodes and 200 changes a second, and it says so when it falls behind".
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ensemble } from '@zk-lab/deploy';
import { AddWatchMode, EventType, ZkClient } from '@zk-lab/zk-client';
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
import { gitCommit } from './main';
import { type Distribution, distribution, roundDistribution } from './percentiles';
import { startBenchTree, Writer } from './tree-writer';
import { BenchTerminal, type Capture, plain, procUsage, selectedRow } from './top-terminal';

export const TOP_HELP = `Usage: npm run bench -- top [options]

The live view \`lab top\` (the built apps/lab/dist/main.js) in a real terminal: a tmux
server of its own (Debian's tmux), 160 x 50, on /bench-top of one fresh 3-server ZooKeeper
ensemble on 127.0.0.1 (tickTime 200 ms) holding --parents × --children znodes (10,000).
Two phases, each read from the screen with \`tmux capture-pane\`:

  idle  --idle-seconds with no other writes (the baseline)
  load  --seconds with a writer making --rate changes a second under the parents
        (creates, data changes and deletes in turn; the node count stays about even)

Every --probe-ms (500) during each phase:
  change → screen  a setData of /bench-top/marker (shown at the top of the tree) with a
                   new value; from the write's reply to the first capture that shows it
                   (polled every --poll-ms)
  the peer         the same write, from its reply to the NodeDataChanged event of a plain
                   ZkClient holding its own persistent recursive watch on /bench-top
  key → screen     \`tmux send-keys\` Down or Up (in turn); from the keys sent to the first
                   capture with the selection (inverse video) on another row

Reported per phase: p50, p95 and max of the three, the ratio view / peer (p50 and p95),
whether \`falling behind\` was ever on the status line (read every 100 ms at least), the
view's CPU (% of one core, /proc/<pid>/stat) and resident memory, the tmux server's and
this process's CPU, and the node count the view shows at the end against ZooKeeper's.
The report is printed (markdown, or with --json one JSON object) and written to
bench/results/top-<date>.md and .json (a second run on the same day replaces them).

Options:
  --parents N        parents under /bench-top                  (default 100)
  --children N       children of each parent                   (default 100)
  --rate N           the writer's changes per second           (default 200)
  --seconds S        length of the load phase                  (default 30)
  --idle-seconds S   length of the idle phase                  (default 10)
  --probe-ms MS      one marker change and one key per MS      (default 500)
  --poll-ms MS       capture-pane every MS while waiting       (default 15)
  --overload N       a third phase at N changes a second, to see
                     the view fall behind and say so           (default 0: none)
  --overload-seconds S  its length                             (default 10)
  --json             print the JSON report instead of markdown
  --out DIR          where the report goes                     (default bench/results)
  --no-save          print the report only
  -h, --help         this text

It takes about 1.5 minutes (npm run bench builds the view first). Ctrl+C stops every
server and process it started, the tmux server included.`;

const ROOT = '/bench-top';
const MARKER = `${ROOT}/marker`;
const COLS = 160;
const ROWS = 50;
/** Longest wait for one probe to show before it counts as missed. */
const PROBE_TIMEOUT_MS = 10_000;
/** How often the screen is read between probes, for `falling behind`. */
const IDLE_POLL_MS = 100;

interface Options {
  parents: number;
  children: number;
  rate: number;
  seconds: number;
  idleSeconds: number;
  probeMs: number;
  pollMs: number;
  overload: number;
  overloadSeconds: number;
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
    'poll-ms': { type: 'string', default: '15' },
    overload: { type: 'string', default: '0' },
    'overload-seconds': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    out: { type: 'string', default: join(benchDir, 'results') },
    'no-save': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  return {
    parents: intOption('parents', values.parents, 1, 1000),
    children: intOption('children', values.children, 1, 10_000),
    rate: intOption('rate', values.rate, 1, 10_000),
    seconds: intOption('seconds', values.seconds, 1, 3600),
    idleSeconds: intOption('idle-seconds', values['idle-seconds'], 1, 3600),
    probeMs: intOption('probe-ms', values['probe-ms'], 50, 60_000),
    pollMs: intOption('poll-ms', values['poll-ms'], 1, 1000),
    overload: intOption('overload', values.overload, 0, 100_000),
    overloadSeconds: intOption('overload-seconds', values['overload-seconds'], 1, 3600),
    json: values.json,
    out: values.out,
    save: !values['no-save'],
  };
}

const say = (line: string): void => void process.stderr.write(`[top] ${line}\n`);

// ---------------------------------------------------------------------------------------
// The probes.

type PhaseName = 'idle' | 'load' | 'overload';

interface PhaseResult {
  name: PhaseName;
  seconds: number;
  /** Changes the writer made a second (0 when idle). */
  changesPerSecond: number;
  changeToScreenMs: Distribution | null;
  peerMs: Distribution | null;
  /** The same two from the write's call instead of its reply (both then above 0). */
  fromSend: { view: Distribution | null; peer: Distribution | null };
  /** The view's p50 and p95 over the peer's: from the reply, and from the call. */
  ratio: { p50: number | null; p95: number | null };
  ratioFromSend: { p50: number | null; p95: number | null };
  /** Changes that took more than 1 s to the screen (the view should then say it is behind). */
  changesOver1s: number;
  keyToScreenMs: Distribution | null;
  missed: { changes: number; keys: number };
  /** Reads of the screen during the phase, and how long one took (ms). */
  captures: number;
  captureMs: Distribution | null;
  fallingBehind: { seen: boolean; captures: number; mostQueued: number; firstAt: number | null };
  /** The events/s the view's status line showed at the phase's end. */
  viewEventsPerSecond: number | null;
  cpu: { viewPercent: number; tmuxPercent: number; benchPercent: number };
  viewRssMb: { max: number; end: number };
}

class Probe {
  private captures = 0;
  private readonly captureMs: number[] = [];
  private behind = { seen: false, captures: 0, mostQueued: 0, firstAt: null as number | null };
  private phaseStart = 0;
  last: Capture | null = null;
  rssMax = 0;
  private peerSeen: number | null = null;
  private peerWaiting: string | null = null;

  constructor(
    private readonly terminal: BenchTerminal,
    private readonly admin: ZkClient,
    private readonly viewPid: number,
    private readonly options: Options,
  ) {}

  /** The peer's watch saw the marker change. */
  peerEvent(at: number): void {
    if (this.peerWaiting !== null && this.peerSeen === null) this.peerSeen = at;
  }

  async read(): Promise<Capture> {
    const capture = await this.terminal.capture();
    this.captures += 1;
    this.captureMs.push(capture.answered - capture.asked);
    const match = /falling behind: (\d+) events queued/.exec(plain(capture.styled));
    if (match) {
      this.behind.seen = true;
      this.behind.captures += 1;
      this.behind.mostQueued = Math.max(this.behind.mostQueued, Number(match[1]));
      this.behind.firstAt ??= Math.round((capture.asked - this.phaseStart) / 100) / 10;
    }
    const usage = procUsage(this.viewPid);
    if (usage) this.rssMax = Math.max(this.rssMax, usage.rssBytes);
    this.last = capture;
    return capture;
  }

  /** Reads the screen every poll-ms until `test` holds; the time of that read, or null. */
  private async until(test: (styled: string) => boolean): Promise<number | null> {
    const deadline = performance.now() + PROBE_TIMEOUT_MS;
    while (performance.now() < deadline) {
      const capture = await this.read();
      if (test(capture.styled)) return capture.answered;
      await sleep(this.options.pollMs);
    }
    return null;
  }

  async phase(
    name: PhaseName,
    seconds: number,
    pids: { view: number; tmux: number },
    markers: { next: number },
    writer: Writer | null,
  ): Promise<PhaseResult> {
    this.captures = 0;
    this.captureMs.length = 0;
    this.behind = { seen: false, captures: 0, mostQueued: 0, firstAt: null };
    this.rssMax = 0;
    const change: number[] = [];
    const peer: number[] = [];
    const changeFromSend: number[] = [];
    const peerFromSend: number[] = [];
    const keys: number[] = [];
    const missed = { changes: 0, keys: 0 };
    const cpuBefore = {
      view: procUsage(pids.view)?.cpuMs ?? 0,
      tmux: procUsage(pids.tmux)?.cpuMs ?? 0,
      bench: process.cpuUsage(),
    };
    this.phaseStart = performance.now();
    const end = this.phaseStart + seconds * 1000;
    let down = true;
    while (performance.now() < end) {
      const slot = performance.now();
      // A change of the marker, to the screen and to the peer.
      const value = `mark-${String(++markers.next).padStart(6, '0')}`;
      this.peerSeen = null;
      this.peerWaiting = value;
      const called = performance.now();
      await this.admin.setData(MARKER, value);
      const acked = performance.now();
      const seen = await this.until((styled) => plain(styled).includes(value));
      if (seen === null) missed.changes += 1;
      else {
        change.push(seen - acked);
        changeFromSend.push(seen - called);
      }
      // The peer's event is in long before the screen shows the change.
      if (this.peerSeen !== null) {
        peer.push(this.peerSeen - acked);
        peerFromSend.push(this.peerSeen - called);
      }
      this.peerWaiting = null;
      // A key: the selection moves between the root and the marker, both at the top.
      const before = selectedRow(this.last!.styled);
      await this.terminal.press(down ? 'Down' : 'Up');
      const sent = performance.now();
      const moved = await this.until((styled) => {
        const row = selectedRow(styled);
        return row !== -1 && row !== before;
      });
      if (moved === null) missed.keys += 1;
      else keys.push(moved - sent);
      down = !down;
      // The rest of the slot: the screen read every IDLE_POLL_MS for `falling behind`.
      const slotEnd = Math.min(end, slot + this.options.probeMs);
      while (performance.now() < slotEnd) {
        await sleep(Math.min(IDLE_POLL_MS, Math.max(0, slotEnd - performance.now())));
        if (performance.now() < slotEnd) await this.read();
      }
    }
    const elapsedMs = performance.now() - this.phaseStart;
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const viewAfter = procUsage(pids.view);
    const percent = (ms: number): number => Math.round((ms / elapsedMs) * 1000) / 10;
    const written = writer === null ? null : await writer.stop();
    const last = await this.read();
    const eventsMatch = /nodes {2}([\d.]+) events\/s/.exec(plain(last.styled));
    const changeD = roundDistribution(distribution(change));
    const peerD = roundDistribution(distribution(peer));
    const viewSendD = roundDistribution(distribution(changeFromSend));
    const peerSendD = roundDistribution(distribution(peerFromSend));
    const ratioOf = (
      view: Distribution | null,
      base: Distribution | null,
      key: 'p50' | 'p95',
    ): number | null =>
      view && base && base[key] > 0 ? Math.round((view[key] / base[key]) * 10) / 10 : null;
    return {
      name,
      seconds: Math.round(elapsedMs / 100) / 10,
      changesPerSecond: written === null ? 0 : Math.round(written.changes / written.seconds),
      changeToScreenMs: changeD,
      peerMs: peerD,
      fromSend: { view: viewSendD, peer: peerSendD },
      ratio: { p50: ratioOf(changeD, peerD, 'p50'), p95: ratioOf(changeD, peerD, 'p95') },
      ratioFromSend: {
        p50: ratioOf(viewSendD, peerSendD, 'p50'),
        p95: ratioOf(viewSendD, peerSendD, 'p95'),
      },
      changesOver1s: change.filter((ms) => ms > 1000).length,
      keyToScreenMs: roundDistribution(distribution(keys)),
      missed,
      captures: this.captures,
      captureMs: roundDistribution(distribution(this.captureMs)),
      fallingBehind: this.behind,
      viewEventsPerSecond: eventsMatch ? Number(eventsMatch[1]) : null,
      cpu: {
        viewPercent: percent((viewAfter?.cpuMs ?? 0) - cpuBefore.view),
        tmuxPercent: percent((procUsage(pids.tmux)?.cpuMs ?? 0) - cpuBefore.tmux),
        benchPercent: percent((benchCpu.user + benchCpu.system) / 1000),
      },
      viewRssMb: {
        max: Math.round(this.rssMax / 2 ** 20),
        end: Math.round((viewAfter?.rssBytes ?? 0) / 2 ** 20),
      },
    };
  }
}

// ---------------------------------------------------------------------------------------

export interface TopReport {
  command: string;
  date: string;
  gitCommit: string;
  machine: Machine;
  load: { start: number[]; end: number[] };
  ensemble: string;
  terminal: string;
  tree: { parents: number; children: number; nodesAtStart: number };
  /** From the view's start to its status line showing every node, read. */
  viewLoadSeconds: number;
  phases: PhaseResult[];
  /** At the end: the node count on the view's status line, and the subtree's in ZooKeeper. */
  finalCount: { view: number | null; zookeeper: number };
  writerErrors: string[];
}

/** The subtree's node count in ZooKeeper (the root included). */
async function countSubtree(admin: ZkClient, parents: string[]): Promise<number> {
  const counts = await Promise.all(parents.map((p) => admin.getChildren(p)));
  return 2 + parents.length + counts.reduce((sum, c) => sum + c.length, 0);
}

const nodesOnScreen = (styled: string): number | null => {
  const match = /(\d+) nodes {2}[\d.]+ events\/s/.exec(plain(styled));
  return match ? Number(match[1]) : null;
};

export async function topMain(argv: string[], benchDir: string): Promise<number> {
  const options = readOptions(() => parseOptions(argv, benchDir), TOP_HELP);
  if (typeof options === 'number') return options;

  const repoDir = resolve(benchDir, '..');
  const labMain = join(repoDir, 'apps', 'lab', 'dist', 'main.js');
  const runDir = mkdtempSync(join(tmpdir(), 'zk-lab-bench-top-'));
  const terminal = new BenchTerminal();
  const clients: ZkClient[] = [];
  let ensemble: Ensemble | null = null;
  let stopping: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    stopping ??= (async () => {
      terminal.kill();
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
  // Whatever else ends this process, the tmux server goes with it.
  const onExit = (): void => terminal.kill();
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
    const nodesAtStart = await countSubtree(admin, parents);

    say(`starting lab top ${ROOT} in tmux (-L ${terminal.socket}, ${COLS} x ${ROWS})`);
    const viewStarted = performance.now();
    await terminal.open([process.execPath, labMain, 'top', ROOT, '--connect', connect], {
      cols: COLS,
      rows: ROWS,
      env: { FORCE_COLOR: '1' },
      cwd: repoDir,
    });
    const { pane: viewPid, server: tmuxPid } = await terminal.pids();
    // If this process is SIGKILLed, the reaper ends the view and the tmux server (whose
    // command line names its socket); it exits by itself when runDir is removed.
    const pidFile = join(runDir, 'pids');
    writeFileSync(pidFile, `${viewPid}\n${tmuxPid}\n`);
    spawn(
      process.execPath,
      [join(__dirname, 'orphan-reaper.js'), String(process.pid), pidFile, labMain, terminal.socket],
      { detached: true, stdio: 'ignore' },
    ).unref();
    const probe = new Probe(terminal, admin, viewPid, options);
    let loaded: Capture | null = null;
    for (const deadline = performance.now() + 60_000; performance.now() < deadline;) {
      const capture = await probe.read();
      const text = plain(capture.styled);
      if (nodesOnScreen(capture.styled) === nodesAtStart && !text.includes('reading the subtree')) {
        loaded = capture;
        break;
      }
      if (await terminal.paneDead()) break;
      await sleep(options.pollMs);
    }
    if (loaded === null) {
      throw new Error(
        `the view did not show ${nodesAtStart} nodes within 60 s; its screen:\n${plain(probe.last?.styled ?? '')}`,
      );
    }
    const viewLoadSeconds = Math.round((loaded.answered - viewStarted) / 10) / 100;
    say(`the view shows ${nodesAtStart} nodes after ${viewLoadSeconds} s (pid ${viewPid})`);

    const peer = await ZkClient.connect({ connectString: connect, sessionTimeoutMs: 10_000 });
    clients.push(peer);
    await peer.addWatch(ROOT, AddWatchMode.PERSISTENT_RECURSIVE, (event) => {
      if (event.path === MARKER && event.type === EventType.NodeDataChanged) {
        probe.peerEvent(performance.now());
      }
    });
    const markers = { next: 0 };
    const pids = { view: viewPid, tmux: tmuxPid };
    say('warm-up: 3 s of probes, not counted');
    await probe.phase('idle', 3, pids, markers, null);

    const phases: PhaseResult[] = [];
    say(`idle: ${options.idleSeconds} s of probes, no other writes`);
    phases.push(await probe.phase('idle', options.idleSeconds, pids, markers, null));
    sayPhase(phases[0]!);

    const writerClient = await ZkClient.connect({
      connectString: connect,
      sessionTimeoutMs: 10_000,
    });
    clients.push(writerClient);
    const writer = new Writer(writerClient, options.rate, parents, leaves);
    say(`load: ${options.rate} changes/s for ${options.seconds} s, with the probes`);
    writer.start();
    phases.push(await probe.phase('load', options.seconds, pids, markers, writer));
    sayPhase(phases[1]!);
    if (options.overload > 0) {
      say(
        `overload: ${options.overload} changes/s for ${options.overloadSeconds} s, with the probes`,
      );
      writer.start(options.overload);
      phases.push(await probe.phase('overload', options.overloadSeconds, pids, markers, writer));
      sayPhase(phases[2]!);
    }

    // Every change is in: the view's count should come to ZooKeeper's.
    const zookeeper = await countSubtree(admin, parents);
    let view: number | null = null;
    for (const deadline = performance.now() + 5_000; performance.now() < deadline;) {
      view = nodesOnScreen((await probe.read()).styled);
      if (view === zookeeper) break;
      await sleep(50);
    }
    say(`at the end the view shows ${view} nodes, ZooKeeper holds ${zookeeper}`);
    await terminal.press('q');

    const report: TopReport = {
      command: `npm run bench -- top ${argv.join(' ')}`.trim(),
      date: new Date().toISOString(),
      gitCommit: gitCommit(),
      machine: machineFacts(),
      load: { start: loadStart, end: loadavg().map((l) => Math.round(l * 100) / 100) },
      ensemble: `3 servers on 127.0.0.1, ZooKeeper ${srvr?.version.split(/[-,]/)[0] ?? 'unknown'}, tickTime 200 ms, -Xmx512m each`,
      terminal: `tmux ${tmuxVersion() ?? '?'}, ${COLS} x ${ROWS}, TERM=xterm-256color`,
      tree: { parents: options.parents, children: options.children, nodesAtStart },
      viewLoadSeconds,
      phases,
      finalCount: { view, zookeeper },
      writerErrors: writer.errors,
    };
    const markdown = renderTop(report, options);
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `\n${markdown}`);
    if (options.save) saveReport(options.out, 'top', report, markdown, say);
    const missed = phases.some((p) => p.missed.changes + p.missed.keys > 0);
    return missed || view !== zookeeper || writer.errors.length > 0 ? 1 : 0;
  } catch (error) {
    return benchFailed(error);
  } finally {
    await cleanup();
    offSignals();
    process.off('exit', onExit);
  }
}

function tmuxVersion(): string | null {
  const result = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().replace(/^tmux /, '') : null;
}

function sayPhase(p: PhaseResult): void {
  const d = (x: Distribution | null): string => (x === null ? '?' : `${x.p50}/${x.p95}/${x.max}`);
  say(
    `${p.name}: change → screen ${d(p.changeToScreenMs)} ms (p50/p95/max), peer ${d(p.peerMs)} ms, ` +
      `key → screen ${d(p.keyToScreenMs)} ms; falling behind ${p.fallingBehind.seen ? 'SHOWN' : 'never shown'}; ` +
      `view CPU ${p.cpu.viewPercent} %, RSS ${p.viewRssMb.max} MB` +
      (p.name === 'idle' ? '' : `; ${p.changesPerSecond} changes/s written`),
  );
}

// ---------------------------------------------------------------------------------------

export function renderTop(report: TopReport, options: Options): string {
  const row = (label: string, d: Distribution | null): string =>
    d === null
      ? `| ${label} | ? | ? | ? | 0 |`
      : `| ${label} | ${d.p50} | ${d.p95} | ${d.max} | ${d.count} |`;
  const label = (p: PhaseResult): string =>
    p.name === 'idle' ? 'idle' : `${p.name} (${p.changesPerSecond} changes/s)`;
  const ratio = (r: { p50: number | null; p95: number | null }): string =>
    `${r.p50 ?? '?'}× / ${r.p95 ?? '?'}×`;
  const latencies = report.phases.flatMap((p) => [
    row(`${label(p)}: change → screen (the view)`, p.changeToScreenMs),
    row(`${label(p)}: change → event (the peer)`, p.peerMs),
    row(`${label(p)}: key → screen`, p.keyToScreenMs),
    row(`${label(p)}: write's call → screen (the view)`, p.fromSend.view),
    row(`${label(p)}: write's call → event (the peer)`, p.fromSend.peer),
  ]);
  const facts = report.phases.map((p) =>
    [
      '',
      p.name,
      `${p.seconds} s`,
      ratio(p.ratio),
      ratio(p.ratioFromSend),
      p.fallingBehind.seen
        ? `**shown** in ${p.fallingBehind.captures} reads (up to ${p.fallingBehind.mostQueued} queued; first ${p.fallingBehind.firstAt} s in)`
        : 'never',
      String(p.changesOver1s),
      `${p.cpu.viewPercent} %`,
      `${p.viewRssMb.max} MB (${p.viewRssMb.end} at the end)`,
      `${p.cpu.tmuxPercent} % / ${p.cpu.benchPercent} %`,
      String(p.viewEventsPerSecond ?? '?'),
      `${p.captures}, ${p.captureMs?.p50 ?? '?'} ms each (p50)`,
      `${p.missed.changes} / ${p.missed.keys}`,
      '',
    ]
      .join(' | ')
      .trim(),
  );
  return `${[
    '# The live view (`lab top`) on 10,000 znodes under 200 changes a second',
    '',
    `- command: \`${report.command}\``,
    `- date: ${report.date}; git commit ${report.gitCommit}`,
    `- machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory}, ${report.machine.os}, node ${report.machine.node}; load average (1, 5, 15 min) ${report.load.start.join(', ')} at the start, ${report.load.end.join(', ')} at the end`,
    `- ensemble: ${report.ensemble}`,
    `- the view: \`node apps/lab/dist/main.js top ${ROOT} --connect …\` in ${report.terminal}; ${report.tree.nodesAtStart} nodes (${report.tree.parents} parents of ${report.tree.children}, the parents, the root and ${MARKER}), all on its status line ${report.viewLoadSeconds} s after it started`,
    `- probes: every ${options.probeMs} ms a setData of ${MARKER} (a new value), then a Down or Up key; the screen read with \`capture-pane -p -e\` every ${options.pollMs} ms while waiting, every ${IDLE_POLL_MS} ms between probes; 3 s of probes first as a warm-up, not counted`,
    '',
    '| phase: what | p50 ms | p95 ms | max ms | probes |',
    '| --- | --- | --- | --- | --- |',
    ...latencies,
    '',
    '| phase | length | view / peer, from the reply (p50 / p95) | from the call | `falling behind` on the status line | changes > 1 s to the screen | view CPU (of one core) | view RSS, max | tmux / bench CPU | events/s on the status line | screen reads | missed changes / keys |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...facts,
    '',
    `At the end the view's status line said ${report.finalCount.view ?? '?'} nodes; ZooKeeper held ${report.finalCount.zookeeper}.${report.writerErrors.length ? ` The writer's errors: ${report.writerErrors.join('; ')}.` : ''}`,
    '',
    'Change → screen: from the reply to the marker write to the first screen read that shows its new value, so it includes up to one poll interval and one `capture-pane` (their own time is in the second table). The peer: the same write, from its reply to the NodeDataChanged event of a plain ZkClient with its own persistent recursive watch on the subtree (a session of its own, in this process). The server sends the event and the reply at about the same moment, so the peer from the reply is about 0 (and may be below it) and that ratio says little; from the write’s call, both include the write’s commit and the ratio is defined. Key → screen: from `send-keys` having sent the key to the first screen read with the selection (inverse video) on another row. CPU: the process’s user + system time over the phase (/proc/<pid>/stat), as a share of one core.',
  ].join('\n')}\n`;
}

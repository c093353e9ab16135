/**
 * `lab chaos`: a seeded run of faults against a running lab, each followed by the time the
 * system took to heal, then a drain, a fresh batch and the verdict from outside.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ensemble, FaultProxyControl } from '@zk-lab/deploy';
import { loadCredentials, namespaceAcls, PATHS } from '@zk-lab/lab-core';
import { ZkClient, LAN_RECONNECT_BACKOFF } from '@zk-lab/zk-client';
import { appKill, appStart } from '../app-commands';
import { appProcessState } from '../app-process';
import { appScript, executionLogPath, producerRecordPath, recordsDir } from '../app-plan';
import { requireAppsState, type AppRecord } from '../app-state';
import type { Output } from '../output';
import type { ActionKind, ChaosContext } from './actions';
import { Canary, canaryPath } from './canary';
import { gatherEvidence } from './gather';
import { notWhole, Probe, viewLab, type LabView } from './observe';
import { Rng } from './rng';
import { judge, type Verdict } from './verdict';

export interface ChaosOptions {
  labState: string;
  ensemble: Ensemble;
  proxy: FaultProxyControl;
  root: string;
  sessionTimeoutMs: number;
  seed: number;
  /** Seconds during which new actions start. */
  durationS: number;
  /** Instead of a duration: this many rounds, each of every chosen kind once. */
  rounds?: number | null;
  actions: readonly ActionKind[];
  /** Jobs in the fresh batch after the last heal. */
  freshJobs?: number;
  /** How long one action may take to heal before it counts as not healed. */
  healTimeoutMs?: number;
  /** Progress lines. */
  say: (line: string) => void;
  /** Each action's record once it healed (or did not, or failed): the dashboard's progress. */
  onAction?: (record: ActionRecord) => void;
  /**
   * Aborted when the lab stops under the run (the dashboard's Ctrl+C): every wait ends, the
   * action under way undoes what it holds, and no app is started again; the run rejects.
   */
  signal?: AbortSignal;
}

export interface ActionRecord {
  index: number;
  kind: string;
  target: string;
  /** ms since the run started */
  at: number;
  heldMs: number;
  /** From the moment the lab undid its part (resume, heal, restart) to a whole, working system. */
  healMs: number | null;
  /** From the fault to the first write ZooKeeper accepted again from the runner's client. */
  writesAfterMs: number | null;
  leaderBefore: string | null;
  leaderAfter: string | null;
  note: string | null;
  /** Why it did not heal in time, or null. */
  notHealed: string | null;
}

export interface ChaosReport {
  seed: number;
  durationS: number;
  rounds: number | null;
  startedAt: string;
  elapsedMs: number;
  actions: ActionRecord[];
  healTimes: Record<string, { count: number; medianMs: number | null; maxMs: number | null }>;
  /** Apps that exited on their own and were started again by the runner. */
  restarts: { app: string; at: number }[];
  drainMs: number | null;
  verdict: Verdict;
  /** Actions that did not heal in time: a liveness failure. */
  notHealed: number;
  ok: boolean;
}

const POLL_MS = 100;
const quiet: Output = { out: () => undefined, err: () => undefined };

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { signal } = options;
  const pause = (ms: number) => sleep(ms, undefined, signal === undefined ? undefined : { signal });
  signal?.throwIfAborted();
  const rng = new Rng(options.seed);
  const started = Date.now();
  const healTimeoutMs = options.healTimeoutMs ?? 60_000;
  // The observer's session times out as the apps' do: a frozen server is noticed, and left
  // for another, as fast as an app would (with a longer one, "writes after" measured the
  // observer's own wait on a paused ZooKeeper server: 13 s of a 20 s session).
  const admin = await ZkClient.connect({
    connectString: options.ensemble.connectString(),
    sessionTimeoutMs: options.sessionTimeoutMs,
    connectTimeoutMs: 20_000,
    reconnectBackoff: LAN_RECONNECT_BACKOFF,
    auth: [loadCredentials('admin').authInfo()],
  });
  const probe = new Probe(admin, options.root, options.seed);
  // ZooKeeper itself is checked beside the apps, from before the first action to the end.
  let canary: Canary | null = await Canary.start({
    connectString: options.ensemble.connectString(),
    seed: options.seed,
    sessionTimeoutMs: options.sessionTimeoutMs,
  });
  const apps = (): AppRecord[] => requireAppsState(options.labState).apps;
  const view = async (): Promise<LabView> => viewLab(options.ensemble, apps());
  const ctx: ChaosContext = {
    labState: options.labState,
    ensemble: options.ensemble,
    proxy: options.proxy,
    admin,
    root: options.root,
    sessionTimeoutMs: options.sessionTimeoutMs,
    rng,
    apps,
    view,
    signal,
  };
  const records: ActionRecord[] = [];
  const restarts: ChaosReport['restarts'] = [];
  const since = () => Date.now() - started;

  /** Starts again any app that exited on its own (counted in the report, never hidden). */
  const restartExited = async () => {
    for (const app of apps()) {
      if (signal?.aborted === true) return; // the lab is stopping its apps: start none
      if (appProcessState(app) !== 'gone') continue;
      options.say(`  ${app.name} had exited on its own: starting it again (see ${app.logPath})`);
      restarts.push({ app: app.name, at: since() });
      await appStart(options.labState, app.name, quiet).catch((err: Error) =>
        options.say(`  could not start ${app.name}: ${err.message}`),
      );
    }
  };

  /** Waits for a whole lab, the action's own condition and finished jobs; null or why not. */
  const waitHealed = async (
    healedWhen: (() => Promise<string | null>) | undefined,
    settledBefore: number | null,
    deadline: number,
  ): Promise<string | null> => {
    let why: string | null = 'not checked yet';
    while (Date.now() < deadline) {
      await restartExited();
      why = notWhole(await view());
      if (why === null && healedWhen !== undefined) why = await healedWhen();
      if (why === null && !(await probe.writeAccepted())) why = 'ZooKeeper takes no write';
      if (why === null) {
        const settled = await probe.settled();
        if (settled === null || (settledBefore !== null && settled <= settledBefore))
          why = 'no job finished since the heal';
      }
      if (why === null) return null;
      await pause(POLL_MS);
    }
    return why;
  };

  try {
    options.say(`waiting for a whole lab before the first action…`);
    const first = await waitHealed(undefined, null, Date.now() + healTimeoutMs);
    if (first !== null) throw new ChaosSetupError(`the lab did not come whole: ${first}`);
    await ensureConfig(admin, options.root);

    const schedule = scheduleOf(rng, options.actions);
    const total = options.rounds == null ? null : options.rounds * options.actions.length;
    const more = (index: number) =>
      total === null ? since() < options.durationS * 1000 : index < total;
    for (let index = 0; more(index); index++) {
      const action = schedule(index);
      await pause(rng.between(300, 1_500));
      const before = await view();
      const at = since();
      const settledBefore = await probe.settled();
      let writesAfterMs: number | null = null;
      const faultAt = Date.now();
      const watchWrites = watchFirstWrite(probe, faultAt, (ms) => (writesAfterMs = ms));
      let done;
      try {
        done = await action.run(ctx);
      } catch (err) {
        watchWrites.stop();
        signal?.throwIfAborted();
        options.say(`#${index + 1} ${action.kind}: could not be done: ${(err as Error).message}`);
        records.push({
          index: index + 1,
          kind: action.kind,
          target: '-',
          at,
          heldMs: 0,
          healMs: null,
          writesAfterMs: null,
          leaderBefore: before.leaderMaster?.name ?? null,
          leaderAfter: null,
          note: `not done: ${(err as Error).message}`,
          notHealed: `the action failed: ${(err as Error).message}`,
        });
        options.onAction?.(records[records.length - 1]!);
        await waitHealed(undefined, null, Date.now() + healTimeoutMs);
        continue;
      }
      const healAt = Date.now();
      const notHealed = await waitHealed(done.healedWhen, settledBefore, healAt + healTimeoutMs);
      const healMs = notHealed === null ? Date.now() - healAt : null;
      await watchWrites.done();
      const after = await view();
      const record: ActionRecord = {
        index: index + 1,
        kind: action.kind,
        target: done.target,
        at,
        heldMs: done.heldMs,
        healMs,
        writesAfterMs,
        leaderBefore: describeLeader(before),
        leaderAfter: describeLeader(after),
        note: done.note ?? null,
        notHealed,
      };
      records.push(record);
      options.say(formatActionLine(record));
      options.onAction?.(record);
    }

    signal?.throwIfAborted();
    options.say('stopping the producer and waiting for the system to drain…');
    const drainStarted = Date.now();
    const producerRan = apps().some((a) => a.name === 'producer' && appProcessState(a) !== 'gone');
    if (producerRan) await appKill(options.labState, 'producer', 'SIGTERM', 'lab stop', quiet);
    const drained = await waitDrained(admin, options.root, Date.now() + 120_000, signal);
    const drainMs = drained ? Date.now() - drainStarted : null;
    if (!drained) options.say('  the queue or a task folder did not empty within 120 s');

    const freshJobs = options.freshJobs ?? 20;
    options.say(`a fresh batch of ${freshJobs} jobs after the last heal…`);
    const fresh = await freshBatch(options, freshJobs);
    // Late duplicates (a zombie's write, a retry) must have time to show before the verdict.
    await pause(2 * options.sessionTimeoutMs);
    const canaryRecord = await canary.stop();
    canary = null;
    options.say('judging from outside (a fresh client, the producer record, the execution log)…');
    // The apps are judged on the leader's records, the history the ensemble agreed on; every
    // other server is compared with it (a server that diverged is ZooKeeper's fault).
    const zkLeader = await options.ensemble.leaderId();
    const evidence = await gatherEvidence({
      connectString: options.ensemble.connectString(zkLeader === null ? undefined : [zkLeader]),
      root: options.root,
      producedFiles: [producerRecordPath(options.labState), freshRecordPath(options.labState)],
      executionLog: executionLogPath(options.labState),
      servers: options.ensemble.nodes.map((node) => ({
        name: `zk${node.id}`,
        connectString: options.ensemble.connectString([node.id]),
      })),
      canary: canaryRecord,
    });
    const verdict = judge(evidence, { jobs: freshJobs, failure: fresh });
    // The lab is left as the run found it: its producer streams again.
    if (producerRan) {
      await appStart(options.labState, 'producer', quiet).catch((err: Error) =>
        options.say(`  could not start the producer again: ${err.message}`),
      );
    }
    const notHealedCount = records.filter((r) => r.notHealed !== null).length;
    return {
      seed: options.seed,
      durationS: options.durationS,
      rounds: options.rounds ?? null,
      startedAt: new Date(started).toISOString(),
      elapsedMs: since(),
      actions: records,
      healTimes: healTimes(records),
      restarts,
      drainMs,
      verdict,
      notHealed: notHealedCount,
      ok: verdict.ok && notHealedCount === 0 && drained,
    };
  } finally {
    await canary?.stop();
    await admin.deleteRecursive(canaryPath(options.seed)).catch(() => undefined);
    await probe.remove();
    await admin.close();
  }
}

/** The lab could not be brought to a state to start the run in. */
export class ChaosSetupError extends Error {
  override readonly name = 'ChaosSetupError';
}

/** Rounds of every chosen kind, each round in a seeded order, so every kind comes often. */
function scheduleOf(rng: Rng, actions: readonly ActionKind[]): (index: number) => ActionKind {
  const order: ActionKind[] = [];
  return (index) => {
    while (order.length <= index) order.push(...rng.shuffle(actions));
    return order[index]!;
  };
}

function describeLeader(view: LabView): string | null {
  const leader = view.leaderMaster;
  return leader === null ? null : `${leader.name} (epoch ${leader.epoch ?? '?'})`;
}

/** Polls, from the fault on, for the first write ZooKeeper accepts again. */
function watchFirstWrite(probe: Probe, from: number, found: (ms: number) => void) {
  let stopped = false;
  const loop = (async () => {
    // The fault is not in force yet at `from`: give it a moment before the first look.
    await sleep(50);
    while (!stopped) {
      if (await probe.writeAccepted(500)) {
        found(Date.now() - from);
        return;
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    stop: () => (stopped = true),
    done: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** /config must exist for the config actions; an empty object is the defaults. */
async function ensureConfig(admin: ZkClient, root: string): Promise<void> {
  const path = `${root}${PATHS.config}`;
  if ((await admin.exists(path)) === null) {
    await admin.create(path, Buffer.from('{}'), { acl: namespaceAcls().config });
  }
}

async function waitDrained(
  admin: ZkClient,
  root: string,
  deadline: number,
  signal?: AbortSignal,
): Promise<boolean> {
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    try {
      const queue = await admin.exists(`${root}${PATHS.queue}`);
      const folders = await admin.getChildren(`${root}${PATHS.assign}`);
      const tasks = await Promise.all(
        folders.map((w) => admin.exists(`${root}${PATHS.assign}/${w}`)),
      );
      const left = (queue?.numChildren ?? 0) + tasks.reduce((n, s) => n + (s?.numChildren ?? 0), 0);
      if (left === 0) return true;
    } catch {
      // ZooKeeper busy or a folder gone between the listing and the look: look again
    }
    await sleep(250);
  }
  return false;
}

export function freshRecordPath(labState: string): string {
  return join(recordsDir(labState), 'fresh-batch.jsonl');
}

/** Runs the producer CLI for a fresh batch and waits for it; null, or why it failed. */
async function freshBatch(options: ChaosOptions, jobs: number): Promise<string | null> {
  const args = [
    appScript('producer'),
    '--type',
    'echo',
    '--payload',
    '{"fresh":true}',
    '--count',
    String(jobs),
    '--wait',
    '--wait-timeout',
    '120',
    '--root',
    options.root,
    '--connect',
    options.ensemble.connectString(),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ZK_LAB_PRODUCER_RECORD: freshRecordPath(options.labState) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A lab that stops under the run takes the batch's producer with it.
      signal: options.signal,
      killSignal: 'SIGTERM',
    });
    child.once('error', () => undefined);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.resume();
    child.once('exit', (code) => {
      const last = stderr.trim().split('\n').pop() ?? '';
      resolve(code === 0 ? null : `the producer exited ${code}: ${last}`);
    });
  });
}

export function healTimes(records: readonly ActionRecord[]): ChaosReport['healTimes'] {
  const byKind = new Map<string, number[]>();
  for (const record of records) {
    const list = byKind.get(record.kind) ?? [];
    if (record.healMs !== null) list.push(record.healMs);
    byKind.set(record.kind, list);
  }
  const out: ChaosReport['healTimes'] = {};
  for (const [kind, times] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...times].sort((a, b) => a - b);
    out[kind] = {
      count: records.filter((r) => r.kind === kind).length,
      medianMs: sorted.length === 0 ? null : sorted[Math.floor((sorted.length - 1) / 2)]!,
      maxMs: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
    };
  }
  return out;
}

export function formatActionLine(record: ActionRecord): string {
  const t = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const head = `${t(record.at).padStart(7)} #${record.index} ${record.kind} ${record.target}`;
  const held = record.heldMs > 0 ? ` held ${t(record.heldMs)};` : '';
  const leader =
    record.leaderAfter !== record.leaderBefore
      ? ` leader ${record.leaderBefore ?? 'none'} → ${record.leaderAfter ?? 'none'};`
      : '';
  const writes = record.writesAfterMs === null ? '' : ` writes after ${t(record.writesAfterMs)};`;
  const note = record.note === null ? '' : ` (${record.note})`;
  const healed =
    record.notHealed === null
      ? ` healed in ${t(record.healMs ?? 0)}`
      : ` NOT HEALED: ${record.notHealed}`;
  return `${head}${note}:${held}${leader}${writes}${healed}`;
}

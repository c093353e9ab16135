/**
 * Every fault `lab chaos` can throw (issue 8 section 2), each a small function: make the
 * fault, hold it, undo what the lab itself must undo (resume, heal a link, start a killed
 * process again), and say what must be true again before the system counts as healed.
 * What the system heals by itself (a new leader, requeued tasks, registrations) is never
 * done here: the runner waits for it and times it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ensemble, FaultProxyControl } from '@zk-lab/deploy';
import { PATHS } from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import { appKill, appPause, appStart } from '../app-commands';
import type { AppRecord } from '../app-state';
import type { MasterStatusBody } from '../app-status';
import { setAppLinks } from '../lab-links';
import type { Output } from '../output';
import type { LabView } from './observe';
import type { Rng } from './rng';

export interface ChaosContext {
  labState: string;
  ensemble: Ensemble;
  proxy: FaultProxyControl;
  /** The runner's own client: admin identity, on the servers' own ports, no root option. */
  admin: ZkClient;
  root: string;
  sessionTimeoutMs: number;
  rng: Rng;
  apps(): AppRecord[];
  view(): Promise<LabView>;
  /**
   * Aborted when the lab stops under the action: its waits end at once, what it holds is
   * undone (resume, heal), and nothing is started again (a process started after the lab
   * stopped its apps would be left behind).
   */
  signal?: AbortSignal;
}

/** What an action did, and what must hold again (beyond a whole lab) for it to be healed. */
export interface ActionDone {
  target: string;
  /** How long the fault was in force (kills: until the process was started again). */
  heldMs: number;
  /** Why it is not healed yet, or null once it is. */
  healedWhen?: () => Promise<string | null>;
  /** The action's own words on what it did. */
  note?: string;
}

export interface ActionKind {
  kind: string;
  /** Shown in `lab chaos --help` and the report. */
  what: string;
  run(ctx: ChaosContext): Promise<ActionDone>;
}

const quiet: Output = { out: () => undefined, err: () => undefined };

/** Waits `ms`, or until the run is aborted (then throws the abort's reason). */
async function wait(ctx: ChaosContext, ms: number): Promise<void> {
  ctx.signal?.throwIfAborted();
  await sleep(ms, undefined, ctx.signal === undefined ? undefined : { signal: ctx.signal });
}

/** Holds a fault `ms`, cut short by an abort; then `undo` runs either way. */
async function hold(ctx: ChaosContext, ms: number, undo: () => unknown): Promise<void> {
  try {
    await wait(ctx, ms);
  } finally {
    await undo();
  }
}

/** Longer than a session: the faulted party's session expires while the fault lasts. */
function holdPastSession(ctx: ChaosContext): number {
  return ctx.sessionTimeoutMs + ctx.rng.between(1_000, 2_000);
}

async function leaderMaster(ctx: ChaosContext): Promise<string> {
  const view = await ctx.view();
  return view.leaderMaster?.name ?? ctx.rng.pick(names(ctx, 'master'));
}

async function followerMaster(ctx: ChaosContext): Promise<string> {
  const leader = (await ctx.view()).leaderMaster?.name;
  const followers = names(ctx, 'master').filter((n) => n !== leader);
  return ctx.rng.pick(followers.length > 0 ? followers : names(ctx, 'master'));
}

function names(ctx: ChaosContext, kind: AppRecord['kind']): string[] {
  return ctx
    .apps()
    .filter((a) => a.kind === kind)
    .map((a) => a.name);
}

async function zkLeader(ctx: ChaosContext): Promise<number> {
  return (await ctx.view()).zkLeader ?? ctx.rng.pick(ctx.ensemble.nodes.map((n) => n.id));
}

async function zkFollower(ctx: ChaosContext): Promise<number> {
  const leader = (await ctx.view()).zkLeader;
  return ctx.rng.pick(ctx.ensemble.nodes.map((n) => n.id).filter((id) => id !== leader));
}

/** SIGKILL, then the same app started again a moment later (a supervisor's restart). */
async function killApp(ctx: ChaosContext, name: string): Promise<ActionDone> {
  const started = Date.now();
  await appKill(ctx.labState, name, 'SIGKILL', 'lab kill', quiet);
  await wait(ctx, ctx.rng.between(200, 1_000));
  await appStart(ctx.labState, name, quiet);
  return { target: name, heldMs: Date.now() - started };
}

/** SIGTERM (a clean stop, as a deploy does), then started again. */
async function stopApp(ctx: ChaosContext, name: string): Promise<ActionDone> {
  const started = Date.now();
  await appKill(ctx.labState, name, 'SIGTERM', 'lab stop', quiet);
  await wait(ctx, ctx.rng.between(200, 1_000));
  await appStart(ctx.labState, name, quiet);
  return { target: name, heldMs: Date.now() - started };
}

/** SIGSTOP past the session timeout, then SIGCONT: the process wakes up a zombie. */
async function pauseApp(ctx: ChaosContext, name: string): Promise<ActionDone> {
  const ms = holdPastSession(ctx);
  await appPause(ctx.labState, name, true, quiet);
  await hold(ctx, ms, () => appPause(ctx.labState, name, false, quiet));
  return { target: name, heldMs: ms };
}

/** Every link of the app stalls past the session timeout while it keeps running. */
async function partitionApp(ctx: ChaosContext, name: string): Promise<ActionDone> {
  const ms = holdPastSession(ctx);
  await setAppLinks(ctx.proxy, name, { kind: 'partition' });
  await hold(ctx, ms, () => setAppLinks(ctx.proxy, name, { kind: 'pass' }));
  return { target: name, heldMs: ms };
}

async function killServer(ctx: ChaosContext, id: number): Promise<ActionDone> {
  const started = Date.now();
  await ctx.ensemble.killNode(id, 'SIGKILL');
  await wait(ctx, ctx.rng.between(500, 1_500));
  await ctx.ensemble.startNode(id);
  return { target: `zk${id}`, heldMs: Date.now() - started };
}

async function pauseServer(ctx: ChaosContext, id: number): Promise<ActionDone> {
  const ms = holdPastSession(ctx);
  ctx.ensemble.pauseNode(id);
  await hold(ctx, ms, () => ctx.ensemble.resumeNode(id));
  return { target: `zk${id}`, heldMs: ms };
}

async function isolateServers(ctx: ChaosContext, ids: number[]): Promise<ActionDone> {
  const ms = holdPastSession(ctx);
  for (const id of ids) await ctx.ensemble.isolateServer(id);
  await hold(ctx, ms, () => ctx.ensemble.healServers());
  return { target: ids.map((id) => `zk${id}`).join('+'), heldMs: ms };
}

/** Two of three servers down (killed) or cut off, past the session timeout. */
async function loseQuorum(ctx: ChaosContext): Promise<ActionDone> {
  const ids = ctx.rng.shuffle(ctx.ensemble.nodes.map((n) => n.id)).slice(0, 2);
  const how = ctx.rng.pick(['kill', 'cut'] as const);
  if (how === 'cut') {
    const done = await isolateServers(ctx, ids);
    return { ...done, note: 'cut from their peers' };
  }
  const ms = holdPastSession(ctx);
  for (const id of ids) await ctx.ensemble.killNode(id, 'SIGKILL');
  await wait(ctx, ms);
  await Promise.all(ids.map((id) => ctx.ensemble.startNode(id)));
  return { target: ids.map((id) => `zk${id}`).join('+'), heldMs: ms, note: 'killed' };
}

async function statusOf(ctx: ChaosContext, name: string): Promise<Record<string, unknown> | null> {
  const report = (await ctx.view()).apps.find((a) => a.name === name);
  return report?.status ?? null;
}

/** Every master and worker reports config version `version` as the one in force. */
function configApplied(ctx: ChaosContext, version: number): () => Promise<string | null> {
  return async () => {
    const behind = (await ctx.view()).apps
      .filter((a) => a.kind !== 'producer')
      .filter((a) => {
        const config = a.status?.config as { version?: number | null } | undefined;
        return config?.version !== version;
      })
      .map((a) => a.name);
    return behind.length === 0 ? null : `config v${version} not applied by ${behind.join(', ')}`;
  };
}

async function readConfig(
  ctx: ChaosContext,
): Promise<{ json: Record<string, unknown>; version: number }> {
  const path = `${ctx.root}${PATHS.config}`;
  const { data, stat } = await ctx.admin.getData(path);
  return {
    json: JSON.parse(data.toString('utf8')) as Record<string, unknown>,
    version: stat.version,
  };
}

async function writeConfig(ctx: ChaosContext, json: unknown, version: number): Promise<number> {
  const stat = await ctx.admin.setData(
    `${ctx.root}${PATHS.config}`,
    Buffer.from(JSON.stringify(json)),
    version,
  );
  return stat.version;
}

/** An operator's valid change: the worker capacity flips between two values. */
async function changeConfig(ctx: ChaosContext): Promise<ActionDone> {
  const { json, version } = await readConfig(ctx);
  const capacity = json.workerCapacity === 6 ? 4 : 6;
  const written = await writeConfig(ctx, { ...json, workerCapacity: capacity }, version);
  return {
    target: '/config',
    heldMs: 0,
    note: `workerCapacity ${capacity} (v${written})`,
    healedWhen: configApplied(ctx, written),
  };
}

/**
 * An operator's invalid change: every app must refuse it and keep the last good config;
 * then the operator writes the good one back.
 */
async function breakConfig(ctx: ChaosContext): Promise<ActionDone> {
  const good = await readConfig(ctx);
  const bad = await writeConfig(ctx, { ...good.json, workerCapacity: 0 }, good.version);
  const started = Date.now();
  const deadline = started + 10_000;
  let refusedBy: string[] = [];
  for (;;) {
    const apps = (await ctx.view()).apps.filter((a) => a.kind !== 'producer');
    refusedBy = apps
      .filter((a) => {
        const config = a.status?.config as { rejected?: { version?: number } | null } | undefined;
        return config?.rejected?.version === bad;
      })
      .map((a) => a.name);
    if (refusedBy.length === apps.length || Date.now() > deadline || ctx.signal?.aborted) break;
    await sleep(100);
  }
  const restored = await writeConfig(ctx, good.json, bad);
  return {
    target: '/config',
    heldMs: Date.now() - started,
    note: `invalid v${bad} refused by ${refusedBy.length > 0 ? refusedBy.join(', ') : 'no app'}; restored as v${restored}`,
    healedWhen: configApplied(ctx, restored),
  };
}

/** A stray write to /epoch, as a holder of a master's credentials could make. */
async function writeEpoch(ctx: ChaosContext): Promise<ActionDone> {
  const path = `${ctx.root}${PATHS.epoch}`;
  const { data, stat } = await ctx.admin.getData(path);
  const before = Number(data.toString('utf8'));
  const stray = Number.isFinite(before) ? before + 1 : 1;
  await ctx.admin.setData(path, Buffer.from(String(stray)), stat.version);
  return {
    target: '/epoch',
    heldMs: 0,
    note: `set to ${stray} behind the leader's back`,
    healedWhen: async () => {
      const leader = (await ctx.view()).leaderMaster;
      if (leader === null) return 'no master leads';
      const status = (await statusOf(ctx, leader.name)) as MasterStatusBody | null;
      return (status?.epoch ?? 0) > stray
        ? null
        : `${leader.name} leads with epoch ${status?.epoch ?? '?'}, not above the stray ${stray}`;
    },
  };
}

/** An operator deletes a live worker's registration. */
async function deleteRegistration(ctx: ChaosContext): Promise<ActionDone> {
  const worker = ctx.rng.pick(names(ctx, 'worker'));
  const path = `${ctx.root}${PATHS.workers}/${worker}`;
  await ctx.admin.delete(path).catch(() => undefined);
  return {
    target: worker,
    heldMs: 0,
    healedWhen: async () =>
      (await ctx.admin.exists(path)) === null ? `${path} not there again` : null,
  };
}

export const ACTIONS: readonly ActionKind[] = [
  {
    kind: 'leader-kill',
    what: 'SIGKILL the leading master',
    run: async (c) => killApp(c, await leaderMaster(c)),
  },
  {
    kind: 'leader-term',
    what: 'SIGTERM the leading master',
    run: async (c) => stopApp(c, await leaderMaster(c)),
  },
  {
    kind: 'leader-pause',
    what: 'SIGSTOP the leading master past its session, then SIGCONT',
    run: async (c) => pauseApp(c, await leaderMaster(c)),
  },
  {
    kind: 'follower-kill',
    what: 'SIGKILL a follower master',
    run: async (c) => killApp(c, await followerMaster(c)),
  },
  {
    kind: 'follower-term',
    what: 'SIGTERM a follower master',
    run: async (c) => stopApp(c, await followerMaster(c)),
  },
  {
    kind: 'follower-pause',
    what: 'SIGSTOP a follower master past its session, then SIGCONT',
    run: async (c) => pauseApp(c, await followerMaster(c)),
  },
  {
    kind: 'worker-kill',
    what: 'SIGKILL a worker',
    run: (c) => killApp(c, c.rng.pick(names(c, 'worker'))),
  },
  {
    kind: 'worker-term',
    what: 'SIGTERM a worker',
    run: (c) => stopApp(c, c.rng.pick(names(c, 'worker'))),
  },
  {
    kind: 'worker-pause',
    what: 'SIGSTOP a worker past its session, then SIGCONT',
    run: (c) => pauseApp(c, c.rng.pick(names(c, 'worker'))),
  },
  {
    kind: 'producer-kill',
    what: 'SIGKILL the producer mid-batch',
    run: (c) => killApp(c, 'producer'),
  },
  { kind: 'producer-term', what: 'SIGTERM the producer', run: (c) => stopApp(c, 'producer') },
  {
    kind: 'producer-pause',
    what: 'SIGSTOP the producer past its session, then SIGCONT',
    run: (c) => pauseApp(c, 'producer'),
  },
  {
    kind: 'leader-partition',
    what: 'cut the leading master from ZooKeeper past its session, then heal',
    run: async (c) => partitionApp(c, await leaderMaster(c)),
  },
  {
    kind: 'worker-partition',
    what: 'cut a worker from ZooKeeper past its session, then heal',
    run: (c) => partitionApp(c, c.rng.pick(names(c, 'worker'))),
  },
  {
    kind: 'producer-partition',
    what: 'cut the producer from ZooKeeper past its session, then heal',
    run: (c) => partitionApp(c, 'producer'),
  },
  {
    kind: 'zk-leader-kill',
    what: 'SIGKILL the ZooKeeper leader, then start it again',
    run: async (c) => killServer(c, await zkLeader(c)),
  },
  {
    kind: 'zk-leader-pause',
    what: 'SIGSTOP the ZooKeeper leader past a session, then SIGCONT',
    run: async (c) => pauseServer(c, await zkLeader(c)),
  },
  {
    kind: 'zk-follower-kill',
    what: 'SIGKILL a ZooKeeper follower, then start it again',
    run: async (c) => killServer(c, await zkFollower(c)),
  },
  {
    kind: 'zk-follower-pause',
    what: 'SIGSTOP a ZooKeeper follower past a session, then SIGCONT',
    run: async (c) => pauseServer(c, await zkFollower(c)),
  },
  {
    kind: 'zk-follower-isolate',
    what: 'cut a ZooKeeper follower from its peers, then heal',
    run: async (c) => isolateServers(c, [await zkFollower(c)]),
  },
  {
    kind: 'zk-leader-isolate',
    what: 'cut the ZooKeeper leader off in a minority, then heal',
    run: async (c) => isolateServers(c, [await zkLeader(c)]),
  },
  {
    kind: 'quorum-loss',
    what: 'two of three servers killed or cut past a session, then back',
    run: loseQuorum,
  },
  { kind: 'config-change', what: 'a valid live-config change', run: changeConfig },
  {
    kind: 'config-invalid',
    what: 'an invalid live-config change, then the good one back',
    run: breakConfig,
  },
  {
    kind: 'epoch-write',
    what: "a stray write to /epoch behind the leader's back",
    run: writeEpoch,
  },
  {
    kind: 'registration-delete',
    what: "an operator deletes a live worker's registration",
    run: deleteRegistration,
  },
];

/** The kinds named by `--actions` (kinds, or prefixes such as `zk-` and `worker-`). */
export function selectActions(spec: string | undefined): ActionKind[] {
  if (spec === undefined || spec === 'all') return [...ACTIONS];
  const wanted = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const chosen = ACTIONS.filter((a) =>
    wanted.some((w) => a.kind === w || (w.endsWith('-') && a.kind.startsWith(w))),
  );
  const unknown = wanted.filter(
    (w) => !ACTIONS.some((a) => a.kind === w || (w.endsWith('-') && a.kind.startsWith(w))),
  );
  if (unknown.length > 0) {
    throw new UnknownActionError(
      `unknown action(s) ${unknown.join(', ')}; known: ${ACTIONS.map((a) => a.kind).join(', ')}`,
    );
  }
  return chosen;
}

export class UnknownActionError extends Error {
  override readonly name = 'UnknownActionError';
}

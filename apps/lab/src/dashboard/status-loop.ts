/**
 * The heart of both feeds: once a second, one reading of everything the dashboard shows
 * besides the tree (the servers' four-letter words, their connections, the namespace and, in
 * lab mode, what the lab knows of its apps and links), turned into a snapshot, a chart
 * sample and the timeline lines that the change since the last reading tells. A reading that
 * is still under way when the next is due is not doubled: the next waits for it.
 */
import type { AppView, DashboardMode, Snapshot, TimelineEvent } from '@zk-lab/dashboard';
import type { ZkClient } from '@zk-lab/zk-client';
import { readEnsemble, type EnsembleReading } from '../monitor/ensemble-reading';
import { withTimeout } from '../system-counts';
import { sampleOf, type CountsAt } from './chart-sample';
import { readNamespace, type NamespaceReading } from './namespace-reading';
import { connectionsBySession, readConnections } from './server-connections';
import { idsByPlace, serverViewOf, type ServerFlags } from './server-roles';
import { SessionCountdown, type SessionEvidence } from './session-countdown';
import { timelineBetween } from './snapshot-timeline';
import type { StatusHistory } from './status-history';

/** One app's session as the lab knows it, and why its client cannot be talking, if so. */
export interface AppSession {
  app: string;
  /** Its current (or last known) session. */
  session: string | null;
  clientDown: string | null;
}

/** What only the lab knows, read once per tick (lab mode). */
export interface LabKnowledge {
  /** The ensemble's own server ids, by `host:port` of the client port. */
  serverIds: ReadonlyMap<string, number>;
  serverFlags: ReadonlyMap<number, ServerFlags>;
  apps: AppView[];
  appSessions: AppSession[];
  requeues: number;
}

export interface StatusLoopOptions {
  mode: DashboardMode;
  connectString: string;
  /** Reads the namespace: no root option (paths are absolute), any identity that may read it. */
  client: ZkClient;
  root: string;
  history: StatusHistory;
  log: (line: string) => void;
  lab?: () => Promise<LabKnowledge>;
  intervalMs?: number;
}

const READ_TIMEOUT_MS = 800;
/** Sessions listed when the root holds no lab layout (then every connection is one). */
const MAX_BARE_SESSIONS = 200;

export class StatusLoop {
  private latest: Snapshot;
  private previousReading: EnsembleReading | null = null;
  private previousCounts: CountsAt | null = null;
  private readonly countdown = new SessionCountdown();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private namespaceTrouble: string | null = null;
  private hadSnapshot = false;

  constructor(private readonly options: StatusLoopOptions) {
    this.latest = {
      time: Date.now(),
      mode: options.mode,
      servers: [],
      zkLeader: null,
      apps: [],
      leaderMaster: null,
      sessions: [],
      counts: null,
    };
  }

  start(): void {
    this.schedule(0);
  }

  snapshot(): Snapshot {
    return this.latest;
  }

  /** One reading now (the loop's own, or a test's); resolves when it is done. */
  async tick(): Promise<void> {
    while (this.running !== null) await this.running;
    this.running = this.read().finally(() => (this.running = null));
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.tick()
        .catch((err: Error) => this.options.log(`dashboard status reading failed: ${err.message}`))
        .finally(() =>
          this.schedule(Math.max(0, (this.options.intervalMs ?? 1_000) - (Date.now() - started))),
        );
    }, delayMs);
  }

  private async read(): Promise<void> {
    const { options } = this;
    const reading = await readEnsemble(options.connectString, { timeoutMs: READ_TIMEOUT_MS });
    const [namespace, lab] = await Promise.all([
      this.readNamespaceSafely(),
      options.lab === undefined ? null : options.lab(),
    ]);
    const ids = lab?.serverIds ?? idsByPlace(reading.servers);
    const idOf = (address: string): number => ids.get(address) ?? 0;
    const servers = reading.servers.map((r) =>
      serverViewOf(r, idOf(r.server), lab?.serverFlags.get(idOf(r.server))),
    );
    const up = new Set(
      servers.filter((s) => s.role !== 'down' && s.role !== 'not-answering').map((s) => s.id),
    );
    const answers = await Promise.all(
      reading.servers
        .filter((r) => r.state === 'up')
        .map((r) => readConnections(idOf(r.server), r.host, r.port, READ_TIMEOUT_MS)),
    );
    for (const answer of answers) {
      const server = servers.find((s) => s.id === answer.server);
      if (answer.state === 'refused' && server !== undefined) server.refusedWords.push('cons');
    }
    const connections = connectionsBySession(answers, up);

    const apps = lab?.apps ?? (namespace === null ? [] : appsOf(namespace));
    const now = Date.now();
    const sessions = this.countdown.views(
      now,
      evidenceOf(namespace, lab?.appSessions ?? [], connections),
      connections,
    );
    const leading = apps.find((a) => a.kind === 'master' && a.leading);
    const snapshot: Snapshot = {
      time: now,
      mode: options.mode,
      servers,
      zkLeader: reading.leader === null ? null : idOf(reading.leader),
      apps,
      leaderMaster: leading === undefined ? null : { name: leading.name, epoch: leading.epoch },
      sessions,
      counts: namespace === null ? null : { ...namespace.counts, requeues: lab?.requeues ?? 0 },
    };
    const counts: CountsAt | null =
      namespace === null
        ? null
        : { at: namespace.at, queued: namespace.counts.queued, results: namespace.counts.results };
    const sample = sampleOf(
      this.previousReading,
      reading,
      { previous: this.previousCounts, current: counts },
      idOf,
    );
    const timeline = timelineBetween(this.hadSnapshot ? this.latest : null, snapshot, {
      apps: options.mode === 'read-only',
      processes: options.mode === 'lab',
    });
    this.previousReading = reading;
    if (counts !== null) this.previousCounts = counts;
    this.latest = snapshot;
    this.hadSnapshot = true;
    if (this.stopped) return;
    options.history.emit('snapshot', snapshot);
    options.history.emit('sample', sample);
    for (const event of timeline) options.history.emit('timeline', event);
  }

  /** The namespace, or null (no layout, or ZooKeeper does not answer: said once on the timeline). */
  private async readNamespaceSafely(): Promise<NamespaceReading | null> {
    let trouble: string | null = null;
    let namespace: NamespaceReading | null = null;
    try {
      namespace = await withTimeout(
        readNamespace(this.options.client, this.options.root),
        READ_TIMEOUT_MS,
      );
    } catch (err) {
      trouble = (err as Error).message;
    }
    if (trouble !== this.namespaceTrouble) {
      const event: TimelineEvent =
        trouble === null
          ? {
              time: Date.now(),
              kind: 'info',
              source: null,
              text: 'the namespace can be read again',
            }
          : {
              time: Date.now(),
              kind: 'warn',
              source: null,
              text: `the namespace cannot be read: ${trouble}`,
            };
      this.namespaceTrouble = trouble;
      if (!this.stopped) this.options.history.emit('timeline', event);
    }
    return namespace;
  }
}

/** Read-only mode: the masters and workers the namespace shows (the producer leaves no trace there). */
export function appsOf(namespace: NamespaceReading): AppView[] {
  const masters = namespace.masters.map((m): AppView => ({
    name: m.id,
    kind: 'master',
    process: 'unknown',
    partitioned: false,
    session: m.session,
    leading: m.leading,
    epoch: m.leading ? namespace.epoch : null,
    registered: false,
    running: [],
    role: m.leading ? `leader, epoch ${namespace.epoch ?? '?'}` : 'follower',
  }));
  const workers = namespace.workers.map((w): AppView => ({
    name: w.id,
    kind: 'worker',
    process: 'unknown',
    partitioned: false,
    session: w.session,
    leading: false,
    epoch: null,
    registered: w.registered,
    running: w.running,
    role: w.registered
      ? `registered, ${w.running.length} running`
      : `not registered, ${w.running.length} task(s) left`,
  }));
  return [...masters, ...workers];
}

/**
 * The sessions to show: the owners of the layout's ephemerals and the apps' own sessions
 * (lab mode); without a layout, every session a server lists.
 */
function evidenceOf(
  namespace: NamespaceReading | null,
  appSessions: readonly AppSession[],
  connections: ReadonlyMap<string, unknown> | null,
): SessionEvidence[] {
  const bySession = new Map<string, SessionEvidence>();
  const owners = new Map<string, string>();
  for (const m of namespace?.masters ?? []) owners.set(m.session, m.id);
  for (const w of namespace?.workers ?? []) if (w.session !== null) owners.set(w.session, w.id);
  for (const { path, owner } of namespace?.ephemerals ?? []) {
    const e = bySession.get(owner) ?? {
      id: owner,
      owner: owners.get(owner) ?? null,
      ephemerals: [],
      clientDown: null,
    };
    e.ephemerals.push(path);
    bySession.set(owner, e);
  }
  for (const app of appSessions) {
    if (app.session === null) continue;
    const e = bySession.get(app.session) ?? {
      id: app.session,
      owner: app.app,
      ephemerals: [],
      clientDown: null,
    };
    e.owner = app.app;
    bySession.set(app.session, e);
  }
  // A session whose app now runs on another session belongs to a process that is gone.
  const current = new Map(appSessions.map((a) => [a.app, a]));
  for (const e of bySession.values()) {
    const app = e.owner === null ? undefined : current.get(e.owner);
    if (app === undefined) continue;
    e.clientDown = app.session !== null && app.session !== e.id ? 'client dead' : app.clientDown;
  }
  if (namespace === null && connections !== null) {
    for (const id of [...connections.keys()].slice(0, MAX_BARE_SESSIONS)) {
      if (!bySession.has(id))
        bySession.set(id, { id, owner: null, ephemerals: [], clientDown: null });
    }
  }
  return [...bySession.values()];
}

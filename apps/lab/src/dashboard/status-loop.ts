/**
 * The heart of both feeds: once a second, one reading of everything the dashboard shows
 * besides the tree (the servers' four-letter words, their connections, the namespace and, in
 * lab mode, what the lab knows of its apps and links), turned into a snapshot, a chart
 * sample and the timeline lines that the change since the last reading tells. A reading that
 * is still under way when the next is due is not doubled: the next waits for it.
 */
import type {
  AppView,
  DashboardMode,
  Snapshot,
  TimelineEvent,
  WatchFanout,
} from '@zk-lab/dashboard';
import { sessionHex } from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import { readEnsemble, serversOf, type EnsembleReading } from '../monitor/ensemble-reading';
import { withTimeout } from '../system-counts';
import { sampleOf, type CountsAt } from './chart-sample';
import { appsOf } from './namespace-apps';
import { readNamespace, type NamespaceReading } from './namespace-reading';
import { connectionsBySession, readConnections } from './server-connections';
import { idsByPlace, serverViewOf, type ServerFlags } from './server-roles';
import { SessionCountdown } from './session-countdown';
import { evidenceOf, type AppSession } from './session-evidence';
import { timelineBetween } from './snapshot-timeline';
import type { StatusHistory } from './status-history';
import { readWatches, WatchFanoutTracker } from './watch-fanout';

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
  /** Ask the servers who watches what (`wchp`) and tell the page what changed: lab mode. */
  watches?: boolean;
  intervalMs?: number;
}

const READ_TIMEOUT_MS = 800;

export class StatusLoop {
  private latest: Snapshot;
  private previousReading: EnsembleReading | null = null;
  private previousCounts: CountsAt | null = null;
  private readonly countdown = new SessionCountdown();
  private readonly watchers: WatchFanoutTracker;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private namespaceTrouble: string | null = null;
  private hadSnapshot = false;
  private namespaceRead: Promise<NamespaceReading | null> | null = null;
  private lastNamespace: NamespaceReading | null = null;

  constructor(private readonly options: StatusLoopOptions) {
    this.latest = emptySnapshot(options.mode, Date.now());
    this.watchers = new WatchFanoutTracker(options.root);
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
    // Everything at once: a paused server or a ZooKeeper without quorum costs one timeout.
    const places = serversOf(options.connectString);
    const [reading, { namespace, fresh }, lab, byPlace, watchesByPlace] = await Promise.all([
      readEnsemble(options.connectString, { timeoutMs: READ_TIMEOUT_MS }),
      this.readNamespaceSafely(),
      options.lab === undefined ? null : options.lab(),
      Promise.all(
        places.map(({ host, port }, place) => readConnections(place, host, port, READ_TIMEOUT_MS)),
      ),
      options.watches === true
        ? Promise.all(places.map(({ host, port }) => readWatches(host, port, READ_TIMEOUT_MS)))
        : null,
    ]);
    const ids = lab?.serverIds ?? idsByPlace(reading.servers);
    const idOf = (address: string): number => ids.get(address) ?? 0;
    const servers = reading.servers.map((r) =>
      serverViewOf(r, idOf(r.server), lab?.serverFlags.get(idOf(r.server))),
    );
    const up = new Set(
      servers.filter((s) => s.role !== 'down' && s.role !== 'not-answering').map((s) => s.id),
    );
    // readEnsemble keeps the connect string's order: a place is a server.
    const answers = byPlace.map((a) => ({ ...a, server: idOf(reading.servers[a.server]!.server) }));
    for (const answer of answers) {
      const server = servers.find((s) => s.id === answer.server);
      if (answer.state === 'refused' && server !== undefined) server.refusedWords.push('cons');
    }
    const connections = connectionsBySession(answers, up);

    const apps = lab?.apps ?? (namespace === null ? [] : appsOf(namespace));
    const now = Date.now();
    const sessions = this.countdown.views(
      now,
      evidenceOf(
        namespace,
        lab?.appSessions ?? [],
        connections,
        sessionHex(options.client.sessionId),
      ),
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
      namespace === null || !fresh
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
    if (watchesByPlace !== null) {
      for (const fanout of this.fanout(watchesByPlace, reading, up, idOf)) {
        options.history.emit('watches', fanout);
      }
    }
    options.history.emit('snapshot', snapshot);
    options.history.emit('sample', sample);
    for (const event of timeline) options.history.emit('timeline', event);
  }

  /** What changed of who watches what; nothing when a serving server did not say. */
  private fanout(
    byPlace: readonly (Map<string, string[]> | null)[],
    reading: EnsembleReading,
    up: ReadonlySet<number>,
    idOf: (address: string) => number,
  ): WatchFanout[] {
    const servers = byPlace.map((byPath, place) => ({
      server: idOf(reading.servers[place]!.server),
      byPath,
    }));
    if (servers.some((s) => s.byPath === null && up.has(s.server))) return [];
    return this.watchers.changes(
      reading.at,
      servers.flatMap((s) => (s.byPath === null ? [] : [{ server: s.server, byPath: s.byPath }])),
    );
  }

  /**
   * The namespace (null: no layout there). When ZooKeeper does not answer (no quorum, no
   * permission: said once on the timeline), the last good reading stands, marked stale, so
   * that nobody seems to leave; a read still waiting for its answer is not asked again.
   */
  private async readNamespaceSafely(): Promise<{
    namespace: NamespaceReading | null;
    fresh: boolean;
  }> {
    let trouble: string | null = null;
    try {
      this.namespaceRead ??= readNamespace(this.options.client, this.options.root).finally(
        () => (this.namespaceRead = null),
      );
      this.lastNamespace = await withTimeout(this.namespaceRead, READ_TIMEOUT_MS);
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
    return { namespace: this.lastNamespace, fresh: trouble === null };
  }
}

/** The snapshot before the first reading: nothing known yet. */
export function emptySnapshot(mode: DashboardMode, time: number): Snapshot {
  return {
    time,
    mode,
    servers: [],
    zkLeader: null,
    apps: [],
    leaderMaster: null,
    sessions: [],
    counts: null,
  };
}

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
import {
  idsByPlace,
  readTickTime,
  serverViewOf,
  type ConfAnswer,
  type ServerFlags,
} from './server-roles';
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
/** tickTime is asked (`conf`) until known; when every server refused, again after this. */
const CONF_RETRY_MS = 30_000;

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
  /** Since when the namespace could not be read, and why; null while it can. */
  private stale: { since: number; why: string } | null = null;
  private tickMs: number | null = null;
  private confAskedAt = -Infinity;

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
    const [reading, { namespace, fresh }, lab, byPlace, watchesByPlace, conf] = await Promise.all([
      readEnsemble(options.connectString, { timeoutMs: READ_TIMEOUT_MS }),
      this.readNamespaceSafely(),
      options.lab === undefined ? null : options.lab(),
      Promise.all(
        places.map(({ host, port }, place) => readConnections(place, host, port, READ_TIMEOUT_MS)),
      ),
      options.watches === true
        ? Promise.all(places.map(({ host, port }) => readWatches(host, port, READ_TIMEOUT_MS)))
        : null,
      this.askConf(places),
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
    conf?.forEach((answer, place) => {
      const server = servers.find((s) => s.id === idOf(reading.servers[place]!.server));
      if ('refused' in answer && server !== undefined) server.refusedWords.push('conf');
    });
    const zkLeader = reading.leader === null ? null : idOf(reading.leader);
    const leaderEpoch = servers.find((s) => s.id === zkLeader)?.zxid?.epoch ?? null;

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
      {
        leader: zkLeader === null ? null : `${zkLeader}@${leaderEpoch ?? '?'}`,
        tickMs: this.tickMs,
      },
    );
    const leading = apps.find((a) => a.kind === 'master' && a.leading);
    const snapshot: Snapshot = {
      time: now,
      mode: options.mode,
      servers,
      zkLeader,
      apps,
      leaderMaster: leading === undefined ? null : { name: leading.name, epoch: leading.epoch },
      sessions,
      counts: namespace === null ? null : { ...namespace.counts, requeues: lab?.requeues ?? 0 },
      tickMs: this.tickMs,
      stale: fresh ? null : this.stale,
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

  /**
   * The servers' tickTime from `conf`, asked of each server until one tells it (then kept:
   * an ensemble's servers share it); null answers when it was not asked this time.
   */
  private async askConf(
    places: readonly { host: string; port: number }[],
  ): Promise<ConfAnswer[] | null> {
    const now = Date.now();
    if (this.tickMs !== null || now - this.confAskedAt < CONF_RETRY_MS) return null;
    const answers = await Promise.all(
      places.map(({ host, port }) => readTickTime(host, port, READ_TIMEOUT_MS)),
    );
    const told = answers.find((a): a is { tickMs: number } => 'tickMs' in a);
    if (told !== undefined) this.tickMs = told.tickMs;
    // Asked again next reading unless every server that answered refused it.
    if (answers.some((a) => 'refused' in a) && !answers.some((a) => 'unread' in a))
      this.confAskedAt = now;
    return answers;
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
   * permission: said once on the timeline), the last good reading stands, so that nobody
   * seems to leave, and the snapshot says it is stale and since when; a read still waiting
   * for its answer is not asked again.
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
      this.stale = trouble === null ? null : { since: event.time, why: trouble };
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
    tickMs: null,
    stale: null,
  };
}

/**
 * The dashboard's status for `lab up`: everything the read-only feed shows (StatusLoop),
 * plus what the lab knows: its apps' processes and /status, its fault-proxy links (apps and
 * servers cut off), its paused servers, each app's session (so a paused, cut off or dead
 * client's session counts down to its expiry), the apps' own notable log lines on the
 * timeline, and the chaos actions and runs (LabActions).
 */
import { readFileSync } from 'node:fs';
import type { TimelineEvent } from '@zk-lab/dashboard';
import type { Ensemble, FaultProxyControl, LinkInfo } from '@zk-lab/deploy';
import { DEFAULT_ROOT } from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import type { AppFleet } from '../app-fleet';
import { APP_SESSION_TIMEOUT_MS, type AppPlan } from '../app-plan';
import { readAppsState, type AppRecord } from '../app-state';
import { reportApp } from '../app-status';
import { ACTIONS } from '../chaos/actions';
import { LogTail } from '../log-tail';
import { actionInfos } from './action-catalog';
import { meaningOfLogLine, type ClientSignal } from './app-log-timeline';
import type { StatusFeed } from './feeds';
import { LabActions } from './lab-actions';
import {
  appCutOff,
  appViewOf,
  clientDownOf,
  serverFlagsOf,
  sessionOfStatus,
} from './lab-app-views';
import { StatusHistory } from './status-history';
import { AppSessionBook } from './session-evidence';
import { StatusLoop, type LabKnowledge } from './status-loop';

export interface LabFeedOptions {
  labState: string;
  ensemble: Ensemble;
  proxy: FaultProxyControl;
  /** The apps `lab up` runs (null with --no-apps). */
  fleet: AppFleet | null;
  plan: AppPlan | null;
  /** The admin identity, no root option: reads the namespace, and the chaos actions write with it. */
  client: ZkClient;
  log: (line: string) => void;
  /** Between readings; default 1 s. */
  intervalMs?: number;
}

/** How long stop() waits for an aborted action or chaos run to end. */
const STOP_WAIT_MS = 10_000;

/** How long what a client saw is kept for an action's report. */
const SIGNALS_KEPT_MS = 10 * 60_000;

export function createLabFeed(options: LabFeedOptions): StatusFeed {
  const { labState, ensemble, proxy } = options;
  const history = new StatusHistory(options.log);
  const root = options.plan?.root ?? safeAppsState(labState)?.root ?? DEFAULT_ROOT;
  const records = (): readonly AppRecord[] =>
    options.fleet?.apps ?? safeAppsState(labState)?.apps ?? [];

  const tails = new Map<string, LogTail>();
  const signals: { app: string; time: number; signal: ClientSignal }[] = [];
  const book = new AppSessionBook();
  let requeues = 0;

  /** New lines of every app's log: timeline lines, requeues and what clients saw. */
  const readLogs = (): void => {
    const requeuedBy = new Map<string, number>();
    const events: TimelineEvent[] = [];
    for (const app of records()) {
      let tail = tails.get(app.name);
      if (tail === undefined) tails.set(app.name, (tail = new LogTail(app.logPath)));
      for (const line of tail.read()) {
        const meaning = meaningOfLogLine(app.kind, app.name, line);
        if (meaning.event !== null) events.push(meaning.event);
        if (meaning.requeued) requeuedBy.set(app.name, (requeuedBy.get(app.name) ?? 0) + 1);
        if (meaning.signal !== null)
          signals.push({ app: app.name, time: meaning.time, signal: meaning.signal });
        if (meaning.sessionEnd !== null) book.logEnd(app.name, meaning.sessionEnd);
      }
    }
    const now = Date.now();
    while (signals.length > 0 && signals[0]!.time < now - SIGNALS_KEPT_MS) signals.shift();
    for (const [app, n] of requeuedBy) {
      requeues += n;
      events.push({
        time: now,
        kind: 'requeue',
        source: app,
        text: `${app} requeued ${n} task(s)`,
      });
    }
    for (const event of events.sort((a, b) => a.time - b.time)) history.emit('timeline', event);
  };

  const knowledge = async (): Promise<LabKnowledge> => {
    readLogs();
    const apps = records();
    const [reports, links] = await Promise.all([
      Promise.all(apps.map((app) => reportApp(app))),
      proxy.links().catch((): LinkInfo[] => []),
    ]);
    const views = [];
    const clientDown = new Map<string, string | null>();
    const now = Date.now();
    for (const report of reports) {
      const known = book.report(report.name, sessionOfStatus(report), now);
      const cutOff = appCutOff(links, report.name);
      views.push(appViewOf(report, cutOff, report.state === 'down' ? null : known));
      clientDown.set(report.name, clientDownOf(report, cutOff));
    }
    const nodes = ensemble.nodes;
    return {
      serverIds: new Map(nodes.map((n) => [ensemble.connectString([n.id]), n.id])),
      serverFlags: serverFlagsOf(
        links,
        nodes.map((n) => n.id),
        (id) => processPaused(nodes.find((n) => n.id === id)?.pid ?? null),
      ),
      apps: views,
      appSessions: book.sessions(clientDown),
      requeues,
    };
  };

  const loop = new StatusLoop({
    mode: 'lab',
    connectString: ensemble.connectString(),
    client: options.client,
    root,
    history,
    log: options.log,
    lab: knowledge,
    watches: true,
    intervalMs: options.intervalMs,
  });
  const actions = new LabActions({
    labState,
    ensemble,
    proxy,
    admin: options.client,
    root,
    sessionTimeoutMs: sessionTimeoutOf(options.plan, labState),
    history,
    signalsSince: (since) => {
      readLogs();
      const by = new Map<string, ClientSignal[]>();
      for (const s of signals)
        if (s.time >= since) by.set(s.app, [...(by.get(s.app) ?? []), s.signal]);
      return by;
    },
    log: options.log,
  });
  loop.start();
  return {
    snapshot: () => loop.snapshot(),
    history: () => history.history(),
    subscribe: (listener) => history.subscribe(listener),
    catalog: () => ({ actions: actionInfos(ACTIONS), runs: actions.recentRuns() }),
    runAction: (request) => actions.runAction(request),
    runChaos: (request) => actions.runChaos(request),
    note: (event) => history.emit('timeline', event),
    // An action or a chaos run under way is aborted and waited for (bounded), so that it
    // starts no app after this: `lab up` stops its apps only once this has resolved.
    stop: async () => {
      if (!(await actions.stop(STOP_WAIT_MS))) {
        options.log(
          `the dashboard's action under way did not end within ${STOP_WAIT_MS / 1000} s of the stop`,
        );
      }
      await loop.stop();
      history.clear();
    },
  };
}

function sessionTimeoutOf(plan: AppPlan | null, labState: string): number {
  const fromApps = safeAppsState(labState)?.apps[0]?.env.ZK_SESSION_TIMEOUT_MS;
  return (
    plan?.sessionTimeoutMs ?? (fromApps === undefined ? APP_SESSION_TIMEOUT_MS : Number(fromApps))
  );
}

function safeAppsState(labState: string): ReturnType<typeof readAppsState> {
  try {
    return readAppsState(labState);
  } catch {
    return null;
  }
}

/** Is the process stopped (SIGSTOP)? Its state in /proc/<pid>/stat is T. */
function processPaused(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

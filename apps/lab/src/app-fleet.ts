/**
 * The apps of a foreground `lab up`: starts them (recorded in apps.json, guarded by the
 * watchdog), follows them (their logs, their exits, the pids other `lab` commands give
 * them), runs the producer's next stream when one ends, and stops them all.
 */
import type { ChildProcess } from 'node:child_process';
import { freePorts } from '@zk-lab/deploy';
import { appProcessState, spawnApp, stopApp, type ProcessState } from './app-process';
import { planApps, portsNeeded, type AppPlan } from './app-plan';
import {
  readAppsState,
  removeAppsState,
  updateApp,
  writeAppsState,
  type AppRecord,
  type AppsState,
} from './app-state';
import { isAppWatchdog, startAppWatchdog } from './app-watchdog';
import { digestLogLine, type DigestLevel } from './event-digest';
import { LogTail } from './log-tail';

/** One line for the digest, from an app's log or about an app's process. */
export interface FleetEvent {
  name: string;
  time: number;
  level: DigestLevel;
  text: string;
  /** Set for lines from a log: what the repeat filter compares. */
  key?: string;
}

/** How each app ended when the fleet stopped. */
export interface StopReport {
  name: string;
  pid: number | null;
  /** SIGTERM (stopped cleanly), SIGKILL (did not stop within the grace time), or not running. */
  how: 'SIGTERM' | 'SIGKILL' | 'not running';
}

const STOP_GRACE_MS = 5_000;
const LOG_POLL_MS = 250;
const PROCESS_POLL_MS = 500;

interface Followed {
  pid: number | null;
  state: ProcessState;
}

export class AppFleet {
  private readonly children = new Map<number, ChildProcess>();
  private readonly tails = new Map<string, LogTail>();
  private readonly followed = new Map<string, Followed>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping = false;

  private constructor(
    private readonly labState: string,
    private state: AppsState,
    private readonly emit: (event: FleetEvent) => void,
  ) {}

  /**
   * Starts every app of the plan on the ensemble at `connectString`, each connecting with
   * the connect string `connectFor` gives it.
   */
  static async start(
    labState: string,
    plan: AppPlan,
    connectString: string,
    connectFor: (name: string) => string,
    emit: (event: FleetEvent) => void,
  ): Promise<AppFleet> {
    const ports = await freePorts(portsNeeded(plan));
    const state: AppsState = {
      version: 1,
      ownerPid: process.pid,
      watchdogPid: null,
      connectString,
      root: plan.root,
      apps: planApps(labState, plan, connectFor, ports),
    };
    // The record and the watchdog come first: no app ever runs that nobody would kill.
    writeAppsState(labState, state);
    state.watchdogPid = startAppWatchdog(process.pid, labState);
    writeAppsState(labState, state);
    const fleet = new AppFleet(labState, state, emit);
    for (const app of state.apps) fleet.tails.set(app.name, new LogTail(app.logPath));
    for (const app of state.apps) fleet.launch(app, 'started');
    writeAppsState(labState, state);
    fleet.timers.push(setInterval(() => fleet.readLogs(), LOG_POLL_MS));
    fleet.timers.push(setInterval(() => fleet.followProcesses(), PROCESS_POLL_MS));
    return fleet;
  }

  get apps(): readonly AppRecord[] {
    return this.state.apps;
  }

  /** SIGTERM to every app (SIGKILL after 5 s for one still there), then the watchdog goes. */
  async stop(): Promise<StopReport[]> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.readLogs();
    this.refresh();
    const reports = await Promise.all(
      this.state.apps.map(async (app): Promise<StopReport> => {
        const pid = app.pid;
        const how = await stopApp(app, STOP_GRACE_MS);
        return { name: app.name, pid, how: how ?? 'not running' };
      }),
    );
    const watchdog = this.state.watchdogPid;
    removeAppsState(this.labState);
    if (watchdog !== null && isAppWatchdog(watchdog, this.labState)) {
      process.kill(watchdog, 'SIGTERM');
    }
    return reports;
  }

  /** Starts one app as a child of this process and records its pid (caller saves). */
  private launch(app: AppRecord, what: string): void {
    const child = spawnApp(app, true);
    const pid = child.pid ?? null;
    app.pid = pid;
    if (pid === null) return;
    this.children.set(pid, child);
    this.followed.set(app.name, { pid, state: 'running' });
    child.once('exit', (code, signal) => {
      this.children.delete(pid);
      this.onChildExit(app.name, pid, code, signal);
    });
    const port = app.port === null ? '' : `, HTTP on 127.0.0.1:${app.port}`;
    this.note(app.name, 'info', `${what} (pid ${pid}${port}); log: ${app.logPath}`);
  }

  private onChildExit(
    name: string,
    pid: number,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (this.stopping) return;
    this.readLogs();
    this.refresh();
    const app = this.state.apps.find((a) => a.name === name);
    if (app === undefined) return;
    const followed = this.followed.get(name);
    if (followed?.pid === pid) followed.state = 'gone';
    const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
    if (app.lastSignal?.pid === pid) {
      this.note(
        name,
        'info',
        `exited (${how}) after ${app.lastSignal.by} sent ${app.lastSignal.signal}`,
      );
      return;
    }
    if (app.kind === 'producer' && code === 0 && app.pid === pid) {
      this.note(name, 'info', 'finished its run of jobs; starting the next');
      this.launch(app, 'started again');
      updateApp(this.labState, name, (record) => (record.pid = app.pid));
      return;
    }
    const what =
      app.kind === 'producer' ? 'stopped: no more jobs are produced' : 'exited unexpectedly';
    this.note(name, 'error', `${what} (${how}); read ${app.logPath}`);
  }

  /** Follows the pids in apps.json: new ones (`lab start`), and the exits and pauses of all. */
  private followProcesses(): void {
    if (this.stopping) return;
    this.refresh();
    for (const app of this.state.apps) {
      const before = this.followed.get(app.name) ?? { pid: null, state: 'gone' };
      const state = appProcessState(app);
      const now: Followed = { pid: app.pid, state };
      this.followed.set(app.name, now);
      if (app.pid !== before.pid && app.pid !== null && !this.children.has(app.pid)) {
        if (state !== 'gone')
          this.note(app.name, 'info', `started again (pid ${app.pid}, by lab start)`);
        continue;
      }
      if (state === before.state) continue;
      if (state === 'paused') this.note(app.name, 'warn', `paused (SIGSTOP): it answers nothing`);
      else if (state === 'running' && before.state === 'paused')
        this.note(app.name, 'info', 'resumed (SIGCONT)');
      else if (state === 'gone' && app.pid !== null && !this.children.has(app.pid)) {
        // Not our child (`lab start` started it): its exit code is not ours to know.
        const by =
          app.lastSignal?.pid === app.pid
            ? ` after ${app.lastSignal.by} sent ${app.lastSignal.signal}`
            : '';
        this.note(app.name, by === '' ? 'error' : 'info', `exited${by}; read ${app.logPath}`);
      }
    }
  }

  private readLogs(): void {
    for (const app of this.state.apps) {
      for (const line of this.tails.get(app.name)?.read() ?? []) {
        const event = digestLogLine(app.kind, app.name, line);
        if (event !== null) this.emit({ name: app.name, ...event });
      }
    }
  }

  private note(name: string, level: DigestLevel, text: string): void {
    this.emit({ name, time: Date.now(), level, text });
  }

  /** Re-reads apps.json: another `lab` command may have given an app a new pid. */
  private refresh(): void {
    try {
      const state = readAppsState(this.labState);
      if (state !== null && state.ownerPid === process.pid) this.state = state;
    } catch {
      // being replaced, or damaged: keep what we know
    }
  }
}

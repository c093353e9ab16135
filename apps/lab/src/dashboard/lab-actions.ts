/**
 * The dashboard's chaos buttons: one action of `lab chaos` at a time, or a whole seeded chaos
 * run, against the lab this process runs. An action's run is told to the page as it goes:
 * running (the fault is in force), healing (the lab undid its part: resumed, healed, started
 * again), then healed (a whole lab again, and the action's own condition) or not healed in
 * time; with who led the masters before and after, and what the faulted client saw of
 * ZooKeeper (from its log), beside what the learner predicted.
 *
 * Stopping: `stop()` aborts the action or run under way (its waits end, what it holds is
 * undone, no app is started again) and waits for it, bounded, so that the lab stops its apps
 * only once nothing here can start one behind its back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChaosRequestSchema,
  type ActionRequest,
  type ActionRun,
  type ChaosRunView,
} from '@zk-lab/dashboard';
import { appStart } from '../app-commands';
import { requireAppsState, type AppRecord } from '../app-state';
import { ACTIONS, type ChaosContext } from '../chaos/actions';
import { notWhole, viewLab, type LabView } from '../chaos/observe';
import { Rng } from '../chaos/rng';
import { runChaos } from '../chaos/runner';
import type { Output } from '../output';
import { worstSignal, type ClientSignal } from './app-log-timeline';
import { FeedRefusal } from './feeds';
import type { StatusHistory } from './status-history';

/** What an action needs, as the chaos runner gives it (its admin client: no root option). */
export interface LabActionsOptions extends Pick<
  ChaosContext,
  'labState' | 'ensemble' | 'proxy' | 'admin' | 'root' | 'sessionTimeoutMs'
> {
  history: StatusHistory;
  /** What each app's log showed of ZooKeeper since `since` (ms), by app name. */
  signalsSince(since: number): Map<string, ClientSignal[]>;
  log: (line: string) => void;
  /** How long an action may take to heal; default 60 s. */
  healTimeoutMs?: number;
}

const RUNS_KEPT = 50;
const POLL_MS = 200;
const quiet: Output = { out: () => undefined, err: () => undefined };

/** What a run aborted by the lab's stop says. */
const STOPPED = 'the lab stopped under it';

export class LabActions {
  private readonly runs: ActionRun[] = [];
  private busy: 'action' | 'chaos' | null = null;
  private count = 0;
  private readonly abort = new AbortController();
  /** The action or chaos run under way, settled (never rejects). */
  private current: Promise<void> | null = null;

  constructor(private readonly options: LabActionsOptions) {}

  /**
   * Aborts what runs and waits for it to end, at most `waitMs`; true when it ended (or
   * nothing ran). Afterwards every request is refused.
   */
  async stop(waitMs: number): Promise<boolean> {
    this.abort.abort(new LabStoppedError(STOPPED));
    const running = this.current;
    if (running === null) return true;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      running.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    return ended;
  }

  recentRuns(): ActionRun[] {
    return [...this.runs];
  }

  runAction(request: ActionRequest): ActionRun {
    const action = ACTIONS.find((a) => a.kind === request.kind);
    if (action === undefined)
      throw new FeedRefusal(404, `no action ${JSON.stringify(request.kind)}`);
    this.refuseIfBusy();
    const run: ActionRun = {
      id: `a${++this.count}`,
      kind: action.kind,
      target: null,
      state: 'running',
      startedAt: Date.now(),
      heldMs: null,
      healMs: null,
      why: null,
      note: null,
      leaderBefore: null,
      leaderAfter: null,
      clientSaw: null,
      prediction: request.prediction ?? null,
    };
    this.runs.push(run);
    if (this.runs.length > RUNS_KEPT) this.runs.shift();
    this.busy = 'action';
    this.current = this.perform(run, action)
      .catch((err: Error) => {
        const why = this.abort.signal.aborted ? STOPPED : err.message;
        this.update(run, { state: 'failed', why });
        this.note('error', `${run.kind}: could not be done: ${why}`, run.target);
      })
      .finally(() => {
        this.busy = null;
        this.current = null;
      });
    return { ...run };
  }

  runChaos(request: { seed: number; rounds: number }): ChaosRunView {
    const valid = ChaosRequestSchema.safeParse(request);
    if (!valid.success) {
      throw new FeedRefusal(400, `a chaos run wants a whole seed and 1 to 5 rounds`);
    }
    this.refuseIfBusy();
    const total = request.rounds * ACTIONS.length;
    let view: ChaosRunView = {
      seed: request.seed,
      state: 'running',
      done: 0,
      total,
      last: null,
      violations: [],
    };
    const tell = (change: Partial<ChaosRunView>) => {
      view = { ...view, ...change };
      this.options.history.emit('chaos', view);
    };
    this.busy = 'chaos';
    this.options.history.emit('chaos', view);
    this.note(
      'chaos',
      `chaos run: seed ${request.seed}, ${request.rounds} round(s), ${total} actions`,
    );
    this.current = this.chaos(request, tell)
      .catch((err: Error) => {
        const why = this.abort.signal.aborted ? STOPPED : err.message;
        tell({ state: 'failed', last: why });
        this.note('error', `chaos run failed: ${why}`);
      })
      .finally(() => {
        this.busy = null;
        this.current = null;
      });
    return view;
  }

  private refuseIfBusy(): void {
    if (this.abort.signal.aborted) throw new FeedRefusal(503, 'the lab is stopping');
    if (this.busy === 'action') throw new FeedRefusal(409, 'an action runs: wait for it to heal');
    if (this.busy === 'chaos') throw new FeedRefusal(409, 'a chaos run is under way');
  }

  private apps = (): AppRecord[] => requireAppsState(this.options.labState).apps;
  private view = (): Promise<LabView> => viewLab(this.options.ensemble, this.apps());

  private context(seed: number): ChaosContext {
    const { options } = this;
    return {
      labState: options.labState,
      ensemble: options.ensemble,
      proxy: options.proxy,
      admin: options.admin,
      root: options.root,
      sessionTimeoutMs: options.sessionTimeoutMs,
      rng: new Rng(seed),
      apps: this.apps,
      view: this.view,
      signal: this.abort.signal,
    };
  }

  private async perform(run: ActionRun, action: (typeof ACTIONS)[number]): Promise<void> {
    this.options.history.emit('action', { ...run });
    const before = await this.view();
    this.update(run, { leaderBefore: before.leaderMaster?.name ?? null });
    this.note('chaos', `${action.kind}: ${action.what}`);
    this.abort.signal.throwIfAborted();
    const done = await action.run(this.context(run.startedAt));
    const healAt = Date.now();
    this.update(run, {
      state: 'healing',
      target: done.target,
      heldMs: done.heldMs,
      note: done.note ?? null,
    });
    const deadline = healAt + (this.options.healTimeoutMs ?? 60_000);
    let why: string | null = 'not checked yet';
    let after = before;
    while (Date.now() < deadline) {
      after = await this.view();
      why = notWhole(after);
      if (why === null && done.healedWhen !== undefined) why = await done.healedWhen();
      if (why === null) break;
      this.update(run, { why }, false);
      await this.pause(POLL_MS);
    }
    const healMs = why === null ? Date.now() - healAt : null;
    let saw = this.clientSaw(done.target, run.startedAt);
    // A client held past its session learns of the expiry only when it reaches ZooKeeper
    // again, which may come after the lab is whole: give its log a session's time to say so.
    const wakeBy = Date.now() + this.options.sessionTimeoutMs;
    while (done.heldMs > this.options.sessionTimeoutMs && saw.saw !== 'SessionExpired') {
      if (Date.now() > wakeBy) break;
      await this.pause(POLL_MS);
      saw = this.clientSaw(done.target, run.startedAt);
    }
    this.update(run, {
      state: why === null ? 'healed' : 'not-healed',
      healMs,
      why,
      leaderAfter: after.leaderMaster?.name ?? null,
      clientSaw: saw.saw,
      note: [done.note, saw.who].filter((s) => s != null && s !== '').join('; ') || null,
    });
    this.note(
      healMs === null ? 'warn' : 'heal',
      healMs === null
        ? `${action.kind} ${done.target}: not healed: ${why}`
        : `${action.kind} ${done.target}: healed in ${(healMs / 1000).toFixed(1)} s`,
      done.target,
    );
  }

  /**
   * What the faulted client saw, from its log; for a fault of ZooKeeper itself (a server,
   * the config, a node), the worst any app saw, and which apps saw it.
   */
  private clientSaw(target: string, since: number): { saw: string; who: string | null } {
    const signals = this.options.signalsSince(since);
    const own = signals.get(target);
    if (own !== undefined || this.apps().some((a) => a.name === target)) {
      return { saw: worstSignal(own ?? []), who: null };
    }
    const all = [...signals.values()].flat();
    const saw = worstSignal(all);
    if (saw === 'nothing') return { saw, who: null };
    const who = [...signals].filter(([, s]) => s.includes(saw)).map(([app]) => app);
    return { saw, who: `${saw} seen by ${who.join(', ')}` };
  }

  private async chaos(
    request: { seed: number; rounds: number },
    tell: (change: Partial<ChaosRunView>) => void,
  ): Promise<void> {
    const { options } = this;
    let done = 0;
    const total = request.rounds * ACTIONS.length;
    const report = await runChaos({
      labState: options.labState,
      ensemble: options.ensemble,
      proxy: options.proxy,
      root: options.root,
      sessionTimeoutMs: options.sessionTimeoutMs,
      seed: request.seed,
      durationS: 0,
      rounds: request.rounds,
      actions: ACTIONS,
      signal: this.abort.signal,
      say: (line) => tell({ last: line.trim() }),
      onAction: (record) => {
        done++;
        tell({ done, state: done >= total ? 'judging' : 'running' });
        this.note(
          record.notHealed === null ? 'chaos' : 'warn',
          `chaos #${record.index} ${record.kind} ${record.target}`,
          record.target,
        );
      },
    });
    // The run stops the producer to drain the queue: the lab goes on as it was (unless it
    // is stopping: a producer started now would outlive it).
    this.abort.signal.throwIfAborted();
    await appStart(options.labState, 'producer', quiet).catch(() => undefined);
    const violations = [
      ...report.verdict.violations.map(
        (v) => `${v.kind}${v.jobId === undefined ? '' : ` ${v.jobId}`}: ${v.detail}`,
      ),
      ...report.actions
        .filter((a) => a.notHealed !== null)
        .map((a) => `#${a.index} ${a.kind} not healed: ${a.notHealed}`),
    ];
    tell({ state: report.ok ? 'pass' : 'fail', violations, done });
    this.note(
      report.ok ? 'heal' : 'error',
      `chaos run seed ${request.seed}: ${report.ok ? 'PASS' : `FAIL (${violations.length} violation(s))`}`,
    );
  }

  /** Waits `ms`; throws at once when the lab stops. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.abort.signal });
  }

  private update(run: ActionRun, change: Partial<ActionRun>, always = true): void {
    const before = JSON.stringify(run);
    Object.assign(run, change);
    if (always || JSON.stringify(run) !== before) this.options.history.emit('action', { ...run });
  }

  private note(
    kind: 'chaos' | 'heal' | 'warn' | 'error',
    text: string,
    source: string | null = null,
  ): void {
    this.options.history.emit('timeline', { time: Date.now(), kind, source, text });
  }
}

/** The lab stopped while an action or a chaos run was under way. */
export class LabStoppedError extends Error {
  override readonly name = 'LabStoppedError';
}

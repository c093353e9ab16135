import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionRun, Snapshot, WatchFanout } from '@zk-lab/dashboard';
import { loadCredentials } from '@zk-lab/lab-core';
import { waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import type { AppPlan } from '../app-plan';
import { appProcessState } from '../app-process';
import { requireAppsState } from '../app-state';
import { startLab, type StartedLab } from '../lab-start';
import { FeedRefusal, type StatusFeed } from './feeds';
import { createLabFeed } from './lab-feed';

// A lab as `lab up` starts it, in this process (one server behind the fault proxy, two
// masters, one worker, no producer), and its feed: one chaos action from the dashboard,
// end to end.
describe('the lab status feed', () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-feed-test-'));
  const plan: AppPlan = {
    masters: 2,
    workers: 1,
    rate: 0,
    job: { type: 'echo', payload: {} },
    root: '/zk-lab',
    sessionTimeoutMs: 2_000,
  };
  let lab: StartedLab;
  let admin: ZkClient;
  let feed: StatusFeed;
  const runs: ActionRun[] = [];
  const fanouts: WatchFanout[] = [];
  const snapshots: Snapshot[] = [];

  beforeAll(async () => {
    lab = await startLab(
      state,
      { size: 1, tick: 200, heap: 256 },
      plan,
      () => undefined,
      () => undefined,
    );
    admin = await ZkClient.connect({
      connectString: lab.ensemble.connectString(),
      auth: [loadCredentials('admin').authInfo()],
    });
    feed = createLabFeed({ labState: state, ...lab, plan, client: admin, log: () => undefined });
    feed.subscribe((name, data) => {
      if (name === 'action') runs.push(data as ActionRun);
      if (name === 'watches') fanouts.push(data as WatchFanout);
      if (name === 'snapshot') snapshots.push(data as Snapshot);
    });
  }, 60_000);

  afterAll(async () => {
    await feed?.stop();
    await admin?.close();
    await lab?.fleet?.stop();
    await lab?.ensemble.stop();
  }, 30_000);

  const snapshot = (): Snapshot => feed.snapshot();

  it('cutting the leading master off: its session counts down, another master leads, and it saw SessionExpired', async () => {
    await waitFor(
      'a leading master and a registered worker on the feed',
      () => {
        const s = snapshot();
        return s.leaderMaster !== null && s.apps.some((a) => a.name === 'w1' && a.registered);
      },
      30_000,
    );
    // The follower's latch watches the leader's election node (its predecessor), as wchp tells
    // (once the follower's /status names its session, and a reading of wchp has come).
    await waitFor(
      "the follower master's session among the watchers of an election node",
      () => {
        const follower = snapshot().apps.find((a) => a.kind === 'master' && !a.leading);
        return fanouts.some(
          (f) =>
            f.path.startsWith('/zk-lab/election/') &&
            follower?.session != null &&
            f.watchers.some((w) => w.session === follower.session),
        );
      },
      15_000,
    );
    expect(feed.catalog().actions).toContainEqual({
      kind: 'leader-partition',
      what: expect.any(String) as string,
      group: 'master',
    });
    const leader = snapshot().leaderMaster!.name;
    const other = leader === 'm1' ? 'm2' : 'm1';
    const session = snapshot().apps.find((a) => a.name === leader)!.session;
    expect(session).toMatch(/^0x[0-9a-f]+$/);

    const prediction = { leader: other, clientSees: 'SessionExpired' as const };
    const started = feed.runAction({ kind: 'leader-partition', prediction });
    expect(started.state).toBe('running');
    const refusal = (run: () => unknown): number | null => {
      try {
        run();
        return null;
      } catch (err) {
        return err instanceof FeedRefusal ? err.status : null;
      }
    };
    expect(refusal(() => feed.runAction({ kind: 'worker-kill' }))).toBe(409);
    expect(refusal(() => feed.runChaos({ seed: 1, rounds: 1 }))).toBe(409);
    expect(refusal(() => feed.runAction({ kind: 'no-such-action' }))).toBe(404);
    expect(refusal(() => feed.runChaos({ seed: 1, rounds: 9 }))).toBe(400);

    await waitFor(
      "the cut-off leader's session counting down",
      () => {
        const s = snapshot();
        const view = s.sessions.find((v) => v.id === session);
        return (
          s.apps.find((a) => a.name === leader)?.partitioned === true &&
          view?.connected === false &&
          view.because === 'client cut off' &&
          view.expiresBy !== null
        );
      },
      10_000,
    );

    await waitFor(
      'the action to end',
      () =>
        runs.some(
          (r) => r.id === started.id && ['healed', 'not-healed', 'failed'].includes(r.state),
        ),
      40_000,
    );
    const ends = runs.filter((r) => r.id === started.id);
    const last = ends[ends.length - 1]!;
    expect(last).toMatchObject({
      kind: 'leader-partition',
      target: leader,
      state: 'healed',
      leaderBefore: leader,
      leaderAfter: other,
      clientSaw: 'SessionExpired',
      prediction,
    });
    expect(last.heldMs).toBeGreaterThan(2_000);
    expect(last.healMs).not.toBeNull();
    expect(ends.map((r) => r.state)).toEqual(
      expect.arrayContaining(['running', 'healing', 'healed']),
    );
    expect(feed.history().timeline.some((e) => e.kind === 'election' && e.source === other)).toBe(
      true,
    );
    // A client that lost its session reports 0x0 until it has another: that is no session,
    // and its old session stays its cut-off client's (not a dead one's) until it expires.
    const everShown = snapshots.flatMap((s) => s.sessions);
    expect(everShown.filter((v) => /^0x0*$/.test(v.id))).toEqual([]);
    expect(snapshots.flatMap((s) => s.apps).filter((a) => a.session === '0x0')).toEqual([]);
    const old = everShown.filter((v) => v.id === session);
    expect(old.filter((v) => v.because === 'client dead')).toEqual([]);
    // The server expired it while its client was cut off: shown as expired, never as closed.
    await waitFor(
      `the old session ${session} shown expired`,
      () => snapshots.some((s) => s.sessions.some((v) => v.id === session && v.ended !== null)),
      15_000,
    );
    const endings = snapshots.flatMap((s) =>
      s.sessions.filter((v) => v.id === session && v.ended !== null).map((v) => v.ended),
    );
    expect(new Set(endings)).toEqual(new Set(['expired']));
    expect(snapshots[snapshots.length - 1]!.tickMs).toBe(200);
  }, 60_000);

  it('a SIGTERMed worker closes its session: shown closed at once, never a dead client counting down, never expired', async () => {
    await waitFor(
      'no action running',
      () => feed.catalog().runs.every((r) => r.state !== 'running' && r.state !== 'healing'),
      30_000,
    );
    await waitFor(
      'w1 registered on the feed',
      () => snapshot().apps.some((a) => a.name === 'w1' && a.registered && a.session !== null),
      30_000,
    );
    const session = snapshot().apps.find((a) => a.name === 'w1')!.session!;
    const from = snapshots.length;
    const started = feed.runAction({ kind: 'worker-term' });
    await waitFor(
      'the action to end',
      () =>
        runs.some(
          (r) => r.id === started.id && ['healed', 'not-healed', 'failed'].includes(r.state),
        ),
      40_000,
    );
    await waitFor(
      `w1's old session ${session} shown ended`,
      () => snapshots.slice(from).some((s) => s.sessions.some((v) => v.id === session && v.ended)),
      10_000,
    );
    const views = snapshots.slice(from).flatMap((s) => s.sessions.filter((v) => v.id === session));
    expect(views.filter((v) => v.ended === 'expired')).toEqual([]);
    expect(views.filter((v) => v.because === 'client dead')).toEqual([]);
    expect(views.find((v) => v.ended !== null)).toMatchObject({
      ended: 'closed',
      expiresBy: null,
    });
  }, 60_000);

  it("stopping the feed under a page's action aborts it and waits for it: a paused master is resumed, a killed one is not started again", async () => {
    const idle = () =>
      feed.catalog().runs.every((r) => r.state !== 'running' && r.state !== 'healing');
    await waitFor('no action running', idle, 30_000);
    // (This test process is no `lab up`: appStart refuses to start an app here, so the
    // actions are on the masters, which the tests before left running.)
    const app = (name: string) => requireAppsState(state).apps.find((a) => a.name === name)!;
    const inState = (wanted: string) =>
      ['m1', 'm2'].find((name) => appProcessState(app(name)) === wanted) ?? null;
    const feedFor = () => {
      const seen: ActionRun[] = [];
      const f = createLabFeed({
        labState: state,
        ...lab,
        plan,
        client: admin,
        log: () => undefined,
      });
      f.subscribe((name, data) => {
        if (name === 'action') seen.push(data as ActionRun);
      });
      return { f, seen };
    };

    // SIGSTOP held past the session: the stop cuts the hold short and resumes the worker.
    const paused = feedFor();
    try {
      paused.f.runAction({ kind: 'follower-pause' });
      await waitFor('a master paused', () => inState('paused') !== null, 10_000);
      const target = inState('paused')!;
      await paused.f.stop();
      expect(appProcessState(app(target))).toBe('running');
      expect(paused.seen[paused.seen.length - 1]).toMatchObject({
        kind: 'follower-pause',
        state: 'failed',
        why: 'the lab stopped under it',
      });
      expect(() => paused.f.runAction({ kind: 'worker-kill' })).toThrow(FeedRefusal);
    } finally {
      await paused.f.stop();
    }

    // SIGKILL, then the moment before the restart: the stop ends it there, before appStart.
    const killed = feedFor();
    try {
      killed.f.runAction({ kind: 'follower-kill' });
      await waitFor('a master killed', () => inState('gone') !== null, 10_000);
      await killed.f.stop();
      // Not appStart's refusal of this process: the run ended at the abort, before it.
      expect(killed.seen[killed.seen.length - 1]).toMatchObject({
        kind: 'follower-kill',
        state: 'failed',
        why: 'the lab stopped under it',
      });
    } finally {
      await killed.f.stop();
    }
  }, 60_000);
});

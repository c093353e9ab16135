import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionRun, Snapshot, WatchFanout } from '@zk-lab/dashboard';
import { loadCredentials } from '@zk-lab/lab-core';
import { waitFor } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import type { AppPlan } from '../app-plan';
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
    // The follower's latch watches the leader's election node (its predecessor), as wchp tells.
    const follower = snapshot().apps.find((a) => a.kind === 'master' && !a.leading)!;
    const watched = fanouts.filter((f) => f.path.startsWith('/zk-lab/election/'));
    expect(watched.flatMap((f) => f.watchers.map((w) => w.session))).toContain(follower.session);
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
  }, 60_000);
});

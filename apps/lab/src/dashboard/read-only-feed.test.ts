import type { Snapshot, TimelineEvent } from '@zk-lab/dashboard';
import { PATHS, SYSTEM_PARENTS } from '@zk-lab/lab-core';
import { useFaultProxy, usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { CreateMode, ZkClient } from '@zk-lab/zk-client';
import type { StatusFeed } from './feeds';
import { createReadOnlyFeed } from './read-only-feed';

// The read-only feed on an ensemble of this file's own (the lab did not start it): what four-
// letter words and a read of the namespace show, as the ensemble loses its leader and a
// client is cut off.
describe('the read-only status feed', () => {
  const zk = usePrivateEnsemble();
  const faults = useFaultProxy();
  const root = '/feed-ro';
  let client: ZkClient;
  let feed: StatusFeed;
  const timeline: TimelineEvent[] = [];

  beforeAll(async () => {
    client = await ZkClient.connect({ connectString: zk.connectString });
    await client.create(root, '');
    for (const parent of SYSTEM_PARENTS) {
      await client.create(`${root}${parent}`, '');
    }
    feed = createReadOnlyFeed({
      connectString: zk.connectString,
      client,
      root,
      log: () => undefined,
    });
    feed.subscribe((name, data) => {
      if (name === 'timeline') timeline.push(data as TimelineEvent);
    });
  });

  afterAll(async () => {
    await feed?.stop();
    await client?.close();
  });

  const snapshot = (): Snapshot => feed.snapshot();

  it('a session whose client is cut off counts down to its expiry, then goes with its ephemeral node', async () => {
    const node = zk.ensemble.nodes[0]!;
    const link = await faults.proxy().addLink('cut-client', { targetPort: node.clientPort });
    const cut = await ZkClient.connect({
      connectString: `127.0.0.1:${link.listenPort}`,
      sessionTimeoutMs: 4_000,
    });
    const session = `0x${cut.sessionId.toString(16)}`;
    const path = `${root}${PATHS.workers}/w-cut`;
    await cut.create(path, '{}', { mode: CreateMode.EPHEMERAL });
    try {
      await waitFor(
        'the session, connected, owning the registration',
        () => {
          const s = snapshot().sessions.find((v) => v.id === session);
          return (
            s !== undefined && s.connected && s.ephemerals.includes(path) && s.owner === 'w-cut'
          );
        },
        10_000,
      );
      expect(snapshot().sessions.find((v) => v.id === session)).toMatchObject({
        server: 1,
        timeoutMs: 4_000,
        expiresBy: null,
      });
      expect(snapshot().apps.find((a) => a.name === 'w-cut')).toMatchObject({ registered: true });
      expect(snapshot().apps.find((a) => a.kind === 'producer')?.process).toBe('unknown');
      expect(snapshot().counts).toMatchObject({ queued: 0, assigned: 0, results: 0, requeues: 0 });

      const cutAt = Date.now();
      faults.proxy().setMode('cut-client', { kind: 'partition' });
      await waitFor(
        'the session not connected, with a deadline',
        () => {
          const s = snapshot().sessions.find((v) => v.id === session);
          return s !== undefined && !s.connected && s.expiresBy !== null;
        },
        8_000,
      );
      const countdown = snapshot().sessions.find((v) => v.id === session)!;
      expect(countdown.because).toBe('client silent');
      // Heard from last before the cut (as a reading, up to a second later, first saw it);
      // the server should expire it by one timeout and two ticks after that.
      const tick = zk.ensemble.tickTimeMs;
      expect(countdown.expiryApproximate).toBe(false);
      expect(countdown.expiresBy!).toBeGreaterThan(cutAt + 2 * tick);
      expect(countdown.expiresBy!).toBeLessThanOrEqual(cutAt + 4_000 + 2 * tick + 1_500);

      // It goes with its ephemeral node, after its deadline could have come: expired.
      await waitFor(
        'the session shown expired, its ephemeral gone',
        () => {
          const s = snapshot();
          return (
            s.sessions.find((v) => v.id === session)?.ended === 'expired' &&
            !s.apps.some((a) => a.name === 'w-cut')
          );
        },
        15_000,
      );
      expect(await client.exists(path)).toBeNull();
      expect(timeline.some((e) => e.kind === 'loss' && e.source === 'w-cut')).toBe(true);
    } finally {
      await cut.close().catch(() => undefined);
    }
  }, 40_000);

  it('names the ZooKeeper leader and, once the harness kills it, the new one', async () => {
    await waitFor('a leader on the feed', () => snapshot().zkLeader !== null, 10_000);
    const first = snapshot();
    const leader = first.zkLeader!;
    expect(leader).toBe(await zk.ensemble.leaderId());
    expect(first.servers.map((s) => s.role).sort()).toEqual(['follower', 'follower', 'leader']);
    expect(feed.catalog().actions).toEqual([]);
    expect(() => feed.runAction({ kind: 'leader-kill' })).toThrow('read-only');

    await zk.ensemble.killNode(leader, 'SIGKILL');
    try {
      await waitFor(
        'another leader on the feed',
        () => {
          const s = snapshot();
          return s.zkLeader !== null && s.zkLeader !== leader;
        },
        20_000,
      );
      const after = snapshot();
      expect(after.servers.find((s) => s.id === leader)!.role).toBe('down');
      expect(after.zkLeader).toBe(await zk.ensemble.leaderId());
      expect(timeline).toContainEqual(
        expect.objectContaining({ kind: 'election', source: `zk${after.zkLeader}` }),
      );
      expect(timeline).toContainEqual(
        expect.objectContaining({ source: `zk${leader}`, kind: 'warn' }),
      );
      expect(feed.history().samples.length).toBeGreaterThan(3);
    } finally {
      await zk.ensemble.startNode(leader);
    }
  }, 40_000);

  it('without quorum: the snapshot says the namespace is stale and since when, no countdown runs (no leader), and both come back with the quorum', async () => {
    await waitFor('a leader on the feed', () => snapshot().zkLeader !== null, 20_000);
    const path = `${root}${PATHS.workers}/w-held`;
    const held = await ZkClient.connect({
      connectString: zk.connectString,
      sessionTimeoutMs: 4_000,
    });
    const session = `0x${held.sessionId.toString(16)}`;
    await held.create(path, '{}', { mode: CreateMode.EPHEMERAL });
    await waitFor(
      'the session on the feed, fresh',
      () => snapshot().stale === null && snapshot().sessions.some((v) => v.id === session),
      10_000,
    );
    expect(snapshot().tickMs).toBe(zk.ensemble.tickTimeMs);
    const leader = snapshot().zkLeader!;
    const others = zk.ensemble.nodes.map((n) => n.id).filter((id) => id !== leader);
    const lostAt = Date.now();
    for (const id of others) await zk.ensemble.killNode(id, 'SIGKILL');
    try {
      await waitFor(
        'the feed to say stale, with no leader',
        () => snapshot().stale !== null && snapshot().zkLeader === null,
        20_000,
      );
      const stale = snapshot().stale!;
      expect(stale.since).toBeGreaterThanOrEqual(lostAt);
      expect(stale.why).not.toBe('');
      // The last good reading stands: the session is still shown, but nothing counts down.
      await waitFor(
        'the session away, its expiry held',
        () => snapshot().sessions.find((v) => v.id === session)?.connected === false,
        20_000,
      );
      expect(snapshot().sessions.find((v) => v.id === session)).toMatchObject({
        expiresBy: null,
        expiryHeld: 'no leader: sessions cannot expire now',
        ended: null,
      });
    } finally {
      await Promise.all(others.map((id) => zk.ensemble.startNode(id)));
    }
    await waitFor(
      'the feed fresh again, with a leader',
      () => snapshot().stale === null && snapshot().zkLeader !== null,
      40_000,
    );
    // Closed once the feed has heard from it again (a session closed while the feed still
    // thought it away past its timeout could as well have expired, seen from outside).
    await waitFor(
      'the session shown connected again',
      () => snapshot().sessions.find((v) => v.id === session)?.connected === true,
      20_000,
    );
    await held.close();
    await waitFor(
      'the closed session shown closed',
      () => snapshot().sessions.find((v) => v.id === session)?.ended === 'closed',
      10_000,
    );
  }, 120_000);
});

import { once } from 'node:events';
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { RecipeStateError } from '../common/lifecycle';
import { LeadershipTimeoutError, type RevocationReason } from './errors';
import { LeaderLatch, type Leadership } from './leader-latch';

const root = testRoot();
const clients: ZkClient[] = [];
const latches: LeaderLatch[] = [];
let admin: ZkClient;
let electionCount = 0;

async function connect(): Promise<ZkClient> {
  const client = await ZkClient.connect({
    connectString: sharedConnectString(),
    sessionTimeoutMs: 4000,
  });
  clients.push(client);
  return client;
}

/** A fresh election path for one test. */
function election(): string {
  electionCount++;
  return `${root}/election-${electionCount}`;
}

function latch(client: ZkClient, path: string, id: string): LeaderLatch {
  const created = new LeaderLatch(client, path, { id });
  latches.push(created);
  return created;
}

/** Resolves with the latch's leadership once elected; fails after `timeoutMs`. */
async function elected(candidate: LeaderLatch, timeoutMs = 5000): Promise<Leadership> {
  return candidate.await({ timeoutMs });
}

/** Starts latches one by one, each once the previous one is queued, so the order is known. */
async function startInOrder(path: string, queue: LeaderLatch[]): Promise<void> {
  for (const [index, participant] of queue.entries()) {
    await participant.start();
    await waitFor(
      `${participant.id} queued`,
      async () => (await participant.getParticipants()).length === index + 1,
      5000,
    );
  }
  await admin.sync(path);
  expect((await admin.getChildren(path)).length).toBe(queue.length);
}

function recordRevocations(participant: LeaderLatch): RevocationReason[] {
  const reasons: RevocationReason[] = [];
  participant.on('revoked', ({ reason }) => reasons.push(reason));
  return reasons;
}

beforeAll(async () => {
  admin = await connect();
  await admin.ensurePath(root);
});

afterEach(async () => {
  await Promise.all(latches.splice(0).map((participant) => participant.close()));
});

afterAll(async () => {
  await admin.deleteRecursive(root);
  await Promise.all(clients.map((client) => client.close()));
});

describe('LeaderLatch', () => {
  it('elects exactly the first participant in the queue, and everyone reads the same leader from the znodes', async () => {
    const path = election();
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    const queue = [latch(a, path, 'a'), latch(b, path, 'b'), latch(c, path, 'c')];
    await startInOrder(path, queue);

    const leadership = await elected(queue[0]!);
    expect(queue.map((participant) => participant.hasLeadership)).toEqual([true, false, false]);
    expect(leadership.participantId).toBe('a');
    expect(leadership.sessionId).toBe(a.sessionId);

    const participants = await queue[2]!.getParticipants();
    expect(participants.map((p) => [p.id, p.isLeader])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
    expect(participants[0]!.nodePath).toBe(leadership.nodePath);
    expect(participants.map((p) => p.sessionId)).toEqual([a.sessionId, b.sessionId, c.sessionId]);
    // Protected names, as Curator's: a unique prefix, then the sequence.
    expect(leadership.nodePath).toMatch(/\/_c_[0-9a-f-]{36}-latch-\d{10}$/);
    const leader = await queue[1]!.getLeader();
    expect(leader).toEqual({
      id: 'a',
      nodePath: leadership.nodePath,
      sessionId: a.sessionId,
      isLeader: true,
    });
  });

  it('close() of the leader hands leadership to the next participant in well under a second, in queue order, with a growing token', async () => {
    const path = election();
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    const queue = [latch(a, path, 'a'), latch(b, path, 'b'), latch(c, path, 'c')];
    await startInOrder(path, queue);
    const tokens = [(await elected(queue[0]!)).token];

    for (const [index, leaving] of queue.slice(0, 2).entries()) {
      const next = queue[index + 1]!;
      const revocations = recordRevocations(leaving);
      const nextElected = once(next, 'elected') as Promise<[Leadership]>;
      const started = Date.now();
      await leaving.close();
      // Revoked before close() resolved: it stopped leading before its node went.
      expect(revocations).toEqual(['CLOSED']);
      const [leadership] = await nextElected;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(leadership.participantId).toBe(next.id);
      tokens.push(leadership.token);
    }
    expect(tokens[1]! > tokens[0]!).toBe(true);
    expect(tokens[2]! > tokens[1]!).toBe(true);
    await admin.sync(path); // admin's server may not have applied the deletes yet
    expect(await admin.getChildren(path)).toHaveLength(1);
  });

  it('wakes only the participant behind a node that goes: one listing per departure, no herd', async () => {
    const path = election();
    const client = await connect();
    const listings: string[] = [];
    const original = client.getChildren.bind(client);
    const spy = jest.spyOn(client, 'getChildren').mockImplementation((listed, options) => {
      if (listed === path) listings.push(listed);
      return original(listed, options);
    });
    try {
      const queue = ['l0', 'l1', 'l2', 'l3', 'l4'].map((id) => latch(client, path, id));
      await startInOrder(path, queue);
      await elected(queue[0]!);
      // getParticipants() lists too; count only from here on.
      listings.length = 0;

      // A follower in the middle leaves: only l3 (behind it) looks again.
      await queue[2]!.close();
      // The leader leaves: l1 looks again and leads.
      const l1 = elected(queue[1]!);
      await queue[0]!.close();
      await l1;
      // l1 leaves: l3, now behind it, looks again and leads.
      const l3 = elected(queue[3]!);
      await queue[1]!.close();
      await l3;

      expect(listings).toHaveLength(3);
      expect(queue[4]!.hasLeadership).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it('does not stall when the node ahead vanishes between the listing and the watch', async () => {
    const path = election();
    const [a, b] = await Promise.all([connect(), connect()]);
    const first = latch(a, path, 'first');
    await first.start();
    await elected(first);

    const second = latch(b, path, 'second');
    let listings = 0;
    const original = b.getChildren.bind(b);
    const spy = jest.spyOn(b, 'getChildren').mockImplementation(async (listed, options) => {
      const names = await original(listed, options);
      // The race, made certain: the first participant's node goes right after the listing
      // that still names it, before the second one sets its watch on it.
      if (listed === path && ++listings === 1) await first.close();
      return names;
    });
    try {
      const started = Date.now();
      await second.start();
      await elected(second, 2000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(listings).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('the fencing token keeps growing when the election parent is deleted and made again (the sequence starts over)', async () => {
    const path = election();
    const client = await connect();
    const before = latch(client, path, 'before');
    await before.start();
    const old = await elected(before);
    await before.close();
    await admin.deleteRecursive(path);

    const after = latch(client, path, 'after');
    await after.start();
    const fresh = await elected(after);
    expect(fresh.nodePath.endsWith('latch-0000000000')).toBe(true);
    expect(old.nodePath.endsWith('latch-0000000000')).toBe(true);
    expect(fresh.token > old.token).toBe(true);
  });

  it('tells a leader at once when someone else deletes its node, and rejoins at the back of the queue', async () => {
    const path = election();
    const [a, b] = await Promise.all([connect(), connect()]);
    const queue = [latch(a, path, 'a'), latch(b, path, 'b')];
    await startInOrder(path, queue);
    const leadership = await elected(queue[0]!);

    const revoked = once(queue[0]!, 'revoked');
    const bElected = elected(queue[1]!);
    await admin.delete(leadership.nodePath);
    expect(await revoked).toEqual([{ reason: 'NODE_DELETED', leadership }]);
    await bElected;
    await waitFor('a back in the queue', async () => (await admin.getChildren(path)).length === 2);
    const participants = await queue[0]!.getParticipants();
    expect(participants.map((p) => [p.id, p.isLeader])).toEqual([
      ['b', true],
      ['a', false],
    ]);
    expect(participants[1]!.nodePath).not.toBe(leadership.nodePath);
  });

  it('await() resolves with the leadership, and rejects on timeout, on abort and on close', async () => {
    const path = election();
    const [a, b] = await Promise.all([connect(), connect()]);
    const leader = latch(a, path, 'leader');
    const follower = latch(b, path, 'follower');
    await expect(follower.await()).rejects.toBeInstanceOf(RecipeStateError);
    await startInOrder(path, [leader, follower]);
    const leadership = await elected(leader);
    await expect(leader.await()).resolves.toBe(leadership);

    await expect(follower.await({ timeoutMs: 200 })).rejects.toBeInstanceOf(LeadershipTimeoutError);
    const controller = new AbortController();
    const aborted = follower.await({ signal: controller.signal });
    controller.abort(new Error('no longer wanted'));
    await expect(aborted).rejects.toThrow('no longer wanted');

    const waiting = follower.await();
    const closing = leader.close();
    const taken = await waiting;
    await closing;
    expect(taken.participantId).toBe('follower');
    expect(taken.token > leadership.token).toBe(true);

    const third = latch(a, path, 'third');
    await third.start();
    const pending = expect(third.await()).rejects.toBeInstanceOf(RecipeStateError);
    await third.close();
    await pending;
    await expect(third.await()).rejects.toBeInstanceOf(RecipeStateError);
  });

  it('has one lifecycle: start() once, close() idempotent and allowed before start()', async () => {
    const path = election();
    const client = await connect();
    const never = latch(client, path, 'never');
    await never.close();
    expect(never.state).toBe('CLOSED');
    await expect(never.start()).rejects.toThrow(RecipeStateError);

    const once_ = latch(client, path, 'once');
    expect(once_.state).toBe('LATENT');
    await once_.start();
    await expect(once_.start()).rejects.toThrow(RecipeStateError);
    await elected(once_);
    const revocations = recordRevocations(once_);
    await Promise.all([once_.close(), once_.close()]);
    await once_.close();
    expect(revocations).toEqual(['CLOSED']);
    expect(once_.hasLeadership).toBe(false);
    await admin.sync(path); // admin's server may not have applied the delete yet
    expect(await admin.getChildren(path)).toEqual([]);
    expect(() => new LeaderLatch(client, '/')).toThrow(RangeError);
  });
});

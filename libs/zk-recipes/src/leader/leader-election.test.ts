import { once } from 'node:events';
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { RecipeStateError } from '../common/lifecycle';
import { LeadershipLostError } from './errors';
import {
  type ElectedLeadership,
  LeaderElection,
  type LeaderElectionOptions,
  type LeadershipEnd,
  type LeadershipFunction,
} from './leader-election';

const root = testRoot();
const clients: ZkClient[] = [];
const elections: LeaderElection[] = [];
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

function election(): string {
  electionCount++;
  return `${root}/election-${electionCount}`;
}

function participant(
  client: ZkClient,
  path: string,
  run: LeadershipFunction,
  options: LeaderElectionOptions,
): LeaderElection {
  const created = new LeaderElection(client, path, run, options);
  elections.push(created);
  return created;
}

/** A promise with its resolve, to hold a leadership function until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Resolves once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

async function queued(path: string, count: number): Promise<void> {
  await waitFor(
    `${count} participants queued`,
    async () => (await admin.getChildren(path).catch(() => [])).length === count,
    5000,
  );
}

beforeAll(async () => {
  admin = await connect();
  await admin.ensurePath(root);
});

afterEach(async () => {
  await Promise.all(elections.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  await admin.deleteRecursive(root);
  await Promise.all(clients.map((client) => client.close()));
});

describe('LeaderElection', () => {
  it('runs one leadership function at a time, in queue order, and passes leadership on when it returns', async () => {
    const path = election();
    const terms: { id: string; token: bigint }[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    let running = 0;
    let mostAtOnce = 0;
    const run =
      (id: string): LeadershipFunction =>
      async (leadership) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        terms.push({ id, token: leadership.token });
        const held = gate();
        gates.set(id, held);
        await Promise.race([held.promise, aborted(leadership.signal)]);
        running--;
      };
    const ids = ['a', 'b', 'c'];
    const queue: LeaderElection[] = [];
    for (const id of ids) {
      const member = participant(await connect(), path, run(id), { id });
      queue.push(member);
      await member.start();
      await queued(path, queue.length);
    }

    for (const [index, member] of queue.entries()) {
      await waitFor(`${member.id} runs`, () => gates.has(member.id), 5000);
      expect(queue.map((m) => m.hasLeadership)).toEqual(queue.map((_, i) => i === index));
      expect((await member.getLeader())?.id).toBe(member.id);
      const relinquished = once(member, 'relinquished') as Promise<[LeadershipEnd]>;
      gates.get(member.id)!.open();
      const [end] = await relinquished;
      expect(end).toMatchObject({ revoked: null, threw: false });
    }
    expect(terms.map((t) => t.id)).toEqual(ids);
    expect(mostAtOnce).toBe(1);
    expect(terms[1]!.token > terms[0]!.token && terms[2]!.token > terms[1]!.token).toBe(true);
    // Without autoRequeue, nobody is left in the queue.
    await queued(path, 0);
  });

  it('a function that throws gives leadership up too, and autoRequeue competes again at the back', async () => {
    const path = election();
    const runs: string[] = [];
    const failure = new Error('the job broke');
    const letThrow = gate();
    const letReturn = gate();
    const requeuing = participant(
      await connect(),
      path,
      async ({ signal }) => {
        runs.push('requeuing');
        if (runs.length === 1) {
          await letThrow.promise;
          throw failure;
        }
        await aborted(signal);
      },
      { id: 'requeuing', autoRequeue: true },
    );
    const single = participant(
      await connect(),
      path,
      async ({ signal }) => {
        runs.push('single');
        await Promise.race([letReturn.promise, aborted(signal)]);
      },
      { id: 'single' },
    );
    await requeuing.start();
    await waitFor('requeuing runs', () => runs.length === 1, 5000);
    await single.start();
    await queued(path, 2);

    const firstEnd = once(requeuing, 'relinquished') as Promise<[LeadershipEnd]>;
    const singleElected = once(single, 'elected');
    letThrow.open();
    const [end] = await firstEnd;
    expect(end).toMatchObject({ threw: true, error: failure, revoked: null });
    await singleElected;
    // The thrower joined again, behind the new leader.
    await queued(path, 2);
    expect((await requeuing.getParticipants()).map((p) => [p.id, p.isLeader])).toEqual([
      ['single', true],
      ['requeuing', false],
    ]);

    const secondTerm = once(requeuing, 'elected');
    letReturn.open();
    await secondTerm;
    expect(runs).toEqual(['requeuing', 'single', 'requeuing']);
    // Without autoRequeue, 'single' left the queue; requeue() brings it back once.
    await queued(path, 1);
    expect(single.requeue()).toBe(true);
    expect(single.requeue()).toBe(false);
    await queued(path, 2);
  });

  it('close() aborts the running function and hands leadership over in well under a second once it returns', async () => {
    const path = election();
    let reason: unknown;
    const leader = participant(
      await connect(),
      path,
      async ({ signal }: ElectedLeadership) => {
        await aborted(signal);
        reason = signal.reason;
      },
      { id: 'leader' },
    );
    const next = participant(await connect(), path, ({ signal }) => aborted(signal), {
      id: 'next',
    });
    const leaderElected = once(leader, 'elected');
    await leader.start();
    await leaderElected;
    await next.start();
    await queued(path, 2);

    const nextElected = once(next, 'elected');
    const started = Date.now();
    await leader.close();
    expect(reason).toBeInstanceOf(LeadershipLostError);
    expect((reason as LeadershipLostError).reason).toBe('CLOSED');
    await nextElected;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(leader.hasLeadership).toBe(false);
    expect(() => leader.requeue()).toThrow(RecipeStateError);
    await leader.close();
  });
});

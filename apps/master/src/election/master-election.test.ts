// Two masters' elections against the real shared ensemble, with a registered (fake) worker
// that never completes anything: what a fence problem does to scheduling (review F1, F4,
// F15). A job is "scheduled" when its task node appears under /assign/w1.
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { CreateMode, digestId, Perms, type ZkClient } from '@zk-lab/zk-client';
import {
  connectToNamespace,
  DEFAULT_CONFIG,
  decode,
  encode,
  loadCredentials,
  namespaceAcls,
  PATHS,
  resolveConnection,
  TaskSchema,
  type QueuedJob,
} from '@zk-lab/lab-core';
import { createMasterMetrics, type MasterMetrics } from '../master-metrics';
import { RECONCILE_INTERVAL_MS } from '../scheduling/leader-term';
import { MasterElection } from './master-election';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('master election and fencing', () => {
  const root = testRoot();
  const settings = () =>
    resolveConnection({}, { ZK_CONNECT: sharedConnectString(), ZK_ROOT: root });
  const acl = () => namespaceAcls({}).masters;
  let app: ZkClient;
  let admin: ZkClient;
  const clients: ZkClient[] = [];
  const elections: MasterElection[] = [];
  const metrics: MasterMetrics[] = [];

  beforeAll(async () => {
    admin = await connectToNamespace(settings(), loadCredentials('admin', {}));
    app = await connectToNamespace(settings(), loadCredentials('master', {}));
    const info = { id: 'w1', host: 'h', pid: 1, capacity: 50, started: Date.now(), version: 't' };
    await app.create(`${PATHS.workers}/w1`, encode(info), {
      mode: CreateMode.EPHEMERAL,
      acl: acl(),
    });
    for (const id of ['m1', 'm2']) {
      const client = await connectToNamespace(settings(), loadCredentials('master', {}));
      const m = createMasterMetrics(id);
      const election = new MasterElection({
        id,
        client,
        config: () => DEFAULT_CONFIG,
        acl: acl(),
        metrics: m,
        log: quiet,
      });
      clients.push(client);
      elections.push(election);
      metrics.push(m);
      await election.start();
    }
  });
  afterAll(async () => {
    for (const election of elections) await election.close();
    for (const client of clients) await client.close();
    await app.close();
    await admin.close();
  });

  const job = (): QueuedJob => ({
    id: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f',
    type: 'echo',
    payload: {},
    created: Date.now(),
    attempt: 1,
    failures: [],
    handBacks: [],
  });

  async function enqueue(): Promise<string> {
    const path = await app.create(`${PATHS.queue}/job-`, encode(job()), {
      mode: CreateMode.PERSISTENT_SEQUENTIAL,
      acl: acl(),
    });
    return path.slice(PATHS.queue.length + 1);
  }

  /** Waits until the job is assigned to w1 and returns the task's epoch. */
  async function scheduled(key: string): Promise<number> {
    const path = `${PATHS.assign}/w1/${key}`;
    await waitFor(`${key} assigned`, async () => (await app.exists(path)) !== null, 5_000);
    return decode(TaskSchema, (await app.getData(path)).data, 'task').epoch;
  }

  const leaders = () => elections.filter((e) => e.role === 'leader');

  it('schedules again within seconds after another client moves /epoch', async () => {
    const before = await scheduled(await enqueue());
    await app.setData(PATHS.epoch, String(before + 1000));

    const after = await scheduled(await enqueue());
    expect(after).toBeGreaterThan(before + 1000);
    expect(leaders()).toHaveLength(1);
    expect(leaders()[0]!.health()).toMatchObject({ termRunning: true, problem: null });
    const fenced = await Promise.all(
      metrics.map(async (m) => (await m.transactionsRefused.get()).values),
    );
    expect(fenced.flat().some((v) => v.labels.reason === 'fenced')).toBe(true);
  });

  it('alarms and recovers when /epoch is deleted, and the epoch never goes backwards', async () => {
    const before = await scheduled(await enqueue());
    await admin.delete(PATHS.epoch);

    const after = await scheduled(await enqueue());
    expect(after).toBeGreaterThan(before);
    const broken = await Promise.all(
      metrics.map(async (m) => (await m.transactionsRefused.get()).values),
    );
    expect(broken.flat().some((v) => v.labels.reason === 'fence_broken')).toBe(true);
    expect(elections.some((e) => e.health().lastFence?.reason === 'fence_broken')).toBe(true);
  });

  it('skips a task node it cannot read instead of blocking every round', async () => {
    const stranger = digestId('stranger', 'secret');
    await app.create(`${PATHS.assign}/w1/job-9999999999`, 'x', {
      acl: [{ perms: Perms.ALL, id: stranger }],
    });
    await scheduled(await enqueue());
    // ZooKeeper sends no event for a node the leader may not read: the periodic full read
    // (every RECONCILE_INTERVAL_MS) is what finds it.
    const skippedNoAuth = async (): Promise<boolean> => {
      const skipped = await Promise.all(
        metrics.map(async (m) => (await m.nodesSkipped.get()).values),
      );
      return skipped.flat().some((v) => v.labels.reason === 'NoAuthError');
    };
    await waitFor('the unreadable task reported', skippedNoAuth, RECONCILE_INTERVAL_MS + 3_000);
  });
});

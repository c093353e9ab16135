/**
 * F2: a create whose reply is lost must not make a second job, even when the leader has
 * moved the job out of /queue before the producer looks. The reply is really lost: a relay
 * in front of a real server drops it after the server applied the create, and holds the
 * producer off while a stand-in leader moves the job to /assign.
 */
import {
  assignDir,
  decode,
  encode,
  namespaceAcls,
  PATHS,
  QueuedJobSchema,
  queuePath,
  taskPath,
} from '@zk-lab/lab-core';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import type { ZkClient } from '@zk-lab/zk-client';
import { connectAs } from './__tests__/namespace-client';
import { ReplyCutter } from './__tests__/reply-cutter';
import { IdempotentCreator } from './idempotent-create';
import { JobFactory } from './job-factory';

const root = `${testRoot()}/lost-reply`;
const clients: ZkClient[] = [];
let cutter: ReplyCutter | null = null;

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await cutter?.close();
  cutter = null;
});

async function connect(connectString: string): Promise<ZkClient> {
  const client = await connectAs('master', connectString, root);
  clients.push(client);
  return client;
}

it('a lost reply, then the job moved to /assign before the retry: one job, no duplicate', async () => {
  const [first] = sharedConnectString().split(',');
  const [host, port] = first!.split(':');
  cutter = await ReplyCutter.start(host!, Number(port));
  const producer = await connect(cutter.connectString);
  const leader = await connect(sharedConnectString());
  const acl = namespaceAcls().job;
  await leader.create(assignDir('w1'), undefined, { acl });

  const job = new JobFactory({ type: 'echo', payload: {} }).next();
  const cut = cutter.cutAfterNextReply();
  const creator = new IdempotentCreator(producer, acl, 30_000);
  const created = creator.create(job);
  await cut;

  // The create was applied: the leader takes the job, as a scheduling round would.
  await leader.sync(PATHS.queue);
  const queued = await leader.getChildren(PATHS.queue);
  expect(queued).toHaveLength(1);
  const name = queued[0]!;
  const key = name.slice(name.indexOf('job-'));
  const { data } = await leader.getData(queuePath(name));
  expect(decode(QueuedJobSchema, data, name).id).toBe(job.id);
  await leader
    .multi()
    .create(taskPath('w1', key), encode(job), { acl })
    .delete(queuePath(name))
    .commit();
  cutter.release();

  // The producer knows the job is in, though not under which key (the reply is gone).
  expect(await created).toEqual({ key: null });
  await creator.drain();
  await leader.sync(PATHS.queue);
  expect(await leader.getChildren(PATHS.queue)).toEqual([]);
  expect(await leader.getChildren(assignDir('w1'))).toEqual([key]);
  // Its marker was removed once the outcome was known.
  expect(await leader.getChildren(PATHS.produced)).toEqual([]);
});

it('a lost reply of a create that was applied nowhere else: the marker says so, no resend', async () => {
  const [first] = sharedConnectString().split(',');
  const [host, port] = first!.split(':');
  cutter = await ReplyCutter.start(host!, Number(port));
  const producer = await connect(cutter.connectString);
  const observer = await connect(sharedConnectString());
  const acl = namespaceAcls().job;
  await observer.sync(PATHS.queue);
  const before = (await observer.getChildren(PATHS.queue)).length;

  const factory = new JobFactory({ type: 'echo', payload: {} });
  const creator = new IdempotentCreator(producer, acl, 30_000);
  const cut = cutter.cutAfterNextReply();
  const lost = creator.create(factory.next());
  await cut;
  cutter.release();
  expect(await lost).toEqual({ key: null });
  // And the next create, its reply intact, names its key.
  const next = await creator.create(factory.next());
  expect(next.key).toMatch(/^job-\d{10}$/);
  await creator.drain();
  await observer.sync(PATHS.queue);
  expect(await observer.getChildren(PATHS.queue)).toHaveLength(before + 2);
  expect(await observer.getChildren(PATHS.produced)).toEqual([]);
});

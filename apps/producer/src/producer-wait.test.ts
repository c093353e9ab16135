/**
 * --wait, with the consumer side played by the test: no master or worker runs here, so the
 * test writes the /results and /dead records itself. This proves the producer's waiting
 * (watches, counts, latencies), not the system; the end-to-end tests prove the system.
 */
import {
  type DeadJob,
  deadPath,
  encode,
  type JobResult,
  jobKey,
  namespaceAcls,
  type QueuedJob,
  resultPath,
} from '@zk-lab/lab-core';
import { sharedConnectString, testRoot, useApps, waitFor } from '@zk-lab/test';
import type { ZkClient } from '@zk-lab/zk-client';
import { connectAs, readQueue } from './__tests__/namespace-client';
import type { RunSummary } from './report';

const root = testRoot();
/** Producers get only the environment each test gives them. */
const apps = useApps();
const clients: ZkClient[] = [];

function envOf(name: string): Record<string, string> {
  return { ZK_CONNECT: sharedConnectString(), ZK_ROOT: `${root}/${name}` };
}

async function appClient(name: string): Promise<ZkClient> {
  const client = await connectAs('master', sharedConnectString(), `${root}/${name}`);
  clients.push(client);
  return client;
}

/** What a worker would record for `job`, finished `latencyMs` after it was created. */
function resultOf(key: string, job: QueuedJob, latencyMs: number): JobResult {
  return {
    id: job.id,
    key,
    type: job.type,
    outcome: 'succeeded',
    output: job.payload,
    worker: 'test-worker',
    attempt: 1,
    epoch: 1,
    created: job.created,
    assigned: job.created,
    started: job.created,
    finished: job.created + latencyMs,
    failures: [],
    handBacks: [],
  };
}

/** A job of an earlier incarnation of the queue. */
const oldJob: QueuedJob = {
  id: '0f1e2d3c-aaaa-4bbb-8ccc-111122223333',
  type: 'echo',
  payload: null,
  created: 0,
  attempt: 1,
  failures: [],
  handBacks: [],
};

function deadOf(key: string, job: QueuedJob): DeadJob {
  return { key, reason: 'test: past its attempts', job, raw: null, epoch: 1, at: Date.now() };
}

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

describe('producer --wait', () => {
  it('counts results and dead records as they appear, with created -> finished latencies', async () => {
    const client = await appClient('wait');
    const acl = namespaceAcls().record;
    const producer = apps.start(
      'producer',
      ['--count', '5', '--wait', '--wait-timeout', '60', '--json'],
      envOf('wait'),
    );
    let queue: Awaited<ReturnType<typeof readQueue>> = [];
    await waitFor('the five jobs in the queue', async () => {
      queue = await readQueue(client);
      return queue.length === 5;
    });
    const jobs = queue
      .map(({ name, job }) => ({ key: jobKey(name), job }))
      .sort((a, b) => a.key.localeCompare(b.key));

    // Two results at once: the producer may find them with its first read...
    for (const [i, { key, job }] of jobs.slice(0, 2).entries()) {
      await client.create(resultPath(key), encode(resultOf(key, job, (i + 1) * 10)), { acl });
    }
    // ...the rest once it is surely waiting (its progress line says so), through watches.
    await waitFor('the producer to be waiting', () =>
      /progress: \d\/5 ended/.test(producer.output.stderr),
    );
    for (const [i, { key, job }] of jobs.slice(2, 4).entries()) {
      await client.create(resultPath(key), encode(resultOf(key, job, (i + 3) * 10)), { acl });
    }
    const [last] = jobs.slice(4);
    await client.create(deadPath(last!.key), encode(deadOf(last!.key, last!.job)), { acl });

    const run = await producer.result();
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as RunSummary;
    expect(summary.keys).toEqual(jobs.map((j) => j.key));
    // Latencies 10, 20, 30, 40 ms (nearest rank): p50 20, p95 = p99 = max 40.
    expect(summary.wait).toMatchObject({
      done: 4,
      dead: 1,
      unreadable: 0,
      missing: 0,
      timedOut: false,
      latencyMs: { count: 4, p50: 20, p95: 40, p99: 40, max: 40 },
    });
  });

  it('text output: the counts and the percentiles in words', async () => {
    const client = await appClient('wait-text');
    const producer = apps.start('producer', ['--type', 'fail', '--wait'], envOf('wait-text'));
    let key = '';
    let job: QueuedJob | undefined;
    await waitFor('the job in the queue', async () => {
      const [node] = await readQueue(client);
      if (node !== undefined) ({ job } = node);
      key = node === undefined ? '' : jobKey(node.name);
      return node !== undefined;
    });
    await client.create(resultPath(key), encode(resultOf(key, job!, 25)), {
      acl: namespaceAcls().record,
    });
    const run = await producer.result();
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(key);
    expect(lines[1]).toMatch(/^results: 1 done, 0 dead, 0 missing \(waited \d+\.\d\d s\)$/);
    expect(lines[2]).toBe(
      'latency created -> finished (1 job): p50 25 ms, p95 25 ms, p99 25 ms, max 25 ms',
    );
  });

  it('an old result under the new job’s key (a re-created /queue) is not its end', async () => {
    const client = await appClient('wait-reused');
    // A fresh /queue numbers its first job job-0000000000: an old result holds that key.
    const old = { ...resultOf('job-0000000000', oldJob, 5), id: oldJob.id };
    await client.create(resultPath('job-0000000000'), encode(old), {
      acl: namespaceAcls().record,
    });
    const run = await apps.run(
      'producer',
      ['--count', '1', '--wait', '--wait-timeout', '1', '--json'],
      { env: envOf('wait-reused') },
    );
    expect(JSON.parse(run.stdout)).toMatchObject({
      keys: ['job-0000000000'],
      wait: { done: 0, missing: 1 },
    });
    expect(run.code).toBe(1);
  });

  it('--wait-timeout: exit 1 naming how many jobs are missing', async () => {
    await appClient('wait-timeout'); // the namespace, as a master makes it
    const run = await apps.run('producer', ['--count', '2', '--wait', '--wait-timeout', '1'], {
      env: envOf('wait-timeout'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /timed out after 1 s: 2 of 2 jobs have neither a result nor a dead record/,
    );
    expect(run.stdout).toMatch(/results: 0 done, 0 dead, 2 missing/);
  });
});

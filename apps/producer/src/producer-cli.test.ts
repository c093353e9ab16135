import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ROOT, encode, jobKey, namespaceAcls, PATHS, queuePath } from '@zk-lab/lab-core';
import { sharedConnectString, testRoot, useApps, waitFor } from '@zk-lab/test';
import { CreateMode, NoAuthError, ZkClient } from '@zk-lab/zk-client';
import { connectAs, queueDepth, readQueue } from './__tests__/namespace-client';

const root = testRoot();
/** Producers get only the environment each test gives them. */
const apps = useApps();
const clients: ZkClient[] = [];

/** The environment of a producer working under `<root>/<name>`. */
function envOf(name: string): Record<string, string> {
  return { ZK_CONNECT: sharedConnectString(), ZK_ROOT: `${root}/${name}` };
}

async function appClient(name: string): Promise<ZkClient> {
  const client = await connectAs('master', sharedConnectString(), `${root}/${name}`);
  clients.push(client);
  return client;
}

// The producer never makes a namespace (a mistyped --root must fail): a master would have
// made these, so the test makes them as a master does.
beforeAll(async () => {
  const names = [
    'acl',
    'bad-config',
    'batch',
    'gave-up',
    'held',
    'interrupted',
    'intruder',
    'json',
    'one',
    'record',
  ];
  for (const name of names)
    clients.push(await connectAs('master', sharedConnectString(), `${root}/${name}`));
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

describe('producer: enqueueing', () => {
  it('one job: its key is printed and its queue node holds the job', async () => {
    const run = await apps.run('producer', ['--type', 'sleep', '--payload', '{"ms":5}'], {
      env: envOf('one'),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const key = run.stdout.trim();
    expect(key).toMatch(/^job-\d{10}$/);

    const client = await appClient('one');
    const queue = await readQueue(client);
    expect(queue).toHaveLength(1);
    const [node] = queue;
    // A plain sequential name: the idempotency marker, not the name, guards against a resend.
    expect(node!.name).toBe(key);
    // The marker is gone once the create's outcome was known.
    expect(await client.getChildren(PATHS.produced)).toEqual([]);
    expect(node!.job).toMatchObject({
      type: 'sleep',
      payload: { ms: 5 },
      attempt: 1,
      failures: [],
    });
  });

  it('--count 500: 500 whole jobs with distinct ids, and the achieved rate', async () => {
    const run = await apps.run('producer', ['--count', '500'], { env: envOf('batch') });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/enqueued 500 echo jobs in \d+\.\d+ s: [\d.]+ jobs\/s/);
    // Not a terminal: plain progress lines only, no control characters.
    expect(run.stderr).not.toContain('\r');

    const queue = await readQueue(await appClient('batch'));
    expect(queue).toHaveLength(500);
    expect(new Set(queue.map((node) => node.job.id)).size).toBe(500);
    expect(new Set(queue.map((node) => jobKey(node.name))).size).toBe(500);
    expect(queue.every((node) => node.job.type === 'echo' && node.job.attempt === 1)).toBe(true);
  });

  it('--json: the summary as one object whose keys are the created jobs', async () => {
    const run = await apps.run('producer', ['--count', '20', '--json'], { env: envOf('json') });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { enqueued: number; keys: string[]; wait: null };
    expect(summary.enqueued).toBe(20);
    expect(summary.wait).toBeNull();
    const queue = await readQueue(await appClient('json'));
    expect([...summary.keys].sort()).toEqual(queue.map((node) => jobKey(node.name)).sort());
  });

  it('Ctrl+C during a stream stops it with exit 130; every job created is whole', async () => {
    const client = await appClient('interrupted');
    const producer = apps.start(
      'producer',
      ['--rate', '20', '--duration', '60'],
      envOf('interrupted'),
    );
    await waitFor('a few jobs of the stream', async () => (await queueDepth(client)) >= 3);
    producer.signal('SIGINT');
    const run = await producer.result();
    expect(run.code).toBe(130);
    const reported = /interrupted: (\d+) of 1200 jobs were enqueued/.exec(run.stderr);
    expect(reported).not.toBeNull();
    // readQueue parses every node: a half-written job would fail here.
    const queue = await readQueue(client);
    expect(queue).toHaveLength(Number(reported![1]));
  });

  it('an unauthenticated client can change nothing the producer made', async () => {
    const run = await apps.run('producer', ['--count', '3'], { env: envOf('acl') });
    expect(run.code).toBe(0);
    const app = await appClient('acl');
    const [node] = await readQueue(app);
    // Read with the app identity: the server masks digests for clients without ADMIN.
    expect((await app.getACL(queuePath(node!.name))).acl).toEqual(namespaceAcls().job);

    // No credentials, and no root option (that would try to create the root's ancestors).
    const anonymous = await ZkClient.connect({ connectString: sharedConnectString() });
    clients.push(anonymous);
    const queue = `${root}/acl${PATHS.queue}`;
    await expect(
      anonymous.create(`${queue}/job-`, encode({}), { mode: CreateMode.PERSISTENT_SEQUENTIAL }),
    ).rejects.toBeInstanceOf(NoAuthError);
    await expect(anonymous.delete(`${queue}/${node!.name}`)).rejects.toBeInstanceOf(NoAuthError);
    await expect(anonymous.setData(`${queue}/${node!.name}`, 'x')).rejects.toBeInstanceOf(
      NoAuthError,
    );
  });
});

describe('producer: bad input is refused before anything is written', () => {
  const limitsRoot = 'limits';
  let app: ZkClient;

  beforeAll(async () => {
    app = await appClient(limitsRoot);
    // The limits live in /config, which only the admin identity may write.
    const admin = await connectAs('admin', sharedConnectString(), `${root}/${limitsRoot}`);
    clients.push(admin);
    await admin.create(PATHS.config, encode({ maxPayloadBytes: 64, queueMaxDepth: 10 }), {
      acl: namespaceAcls().config,
    });
    const filled = await apps.run('producer', ['--count', '8'], { env: envOf(limitsRoot) });
    expect(filled.code).toBe(0);
  });

  it.each([
    ['invalid JSON', ['--payload', '{"ms": 5'], /--payload is not valid JSON/],
    [
      'an unknown type',
      ['--type', 'teleport'],
      /unknown job type "teleport"; known types: echo, sleep/,
    ],
    [
      'sleep without ms',
      ['--type', 'sleep', '--payload', '{}'],
      /invalid payload for type sleep: payload\.ms/,
    ],
    ['sleep without a payload', ['--type', 'sleep'], /--payload is required for type sleep/],
    [
      'a payload past maxPayloadBytes',
      ['--payload', JSON.stringify({ text: 'x'.repeat(100) })],
      /the payload is 111 bytes of JSON, more than the limit of 64 bytes \(maxPayloadBytes/,
    ],
    ['port 0', ['--connect', '127.0.0.1:0'], /port 0 is not 1 to 65535[\s\S]*usage: produce/],
    ['port 99999', ['--connect', 'a:1,b:99999'], /port 99999 is not 1 to 65535/],
    ['--max-wait 0', ['--max-wait', '0'], /--max-wait "0": expected a number/],
    ['an unknown flag', ['--bogus'], /Unknown option '--bogus'[\s\S]*usage: produce/],
    ['--count 0', ['--count', '0'], /--count "0": expected an integer from 1[\s\S]*usage: produce/],
    ['--rate without --duration', ['--rate', '5'], /--rate needs --duration[\s\S]*usage: produce/],
    ['--count with --rate', ['--count', '5', '--rate', '5', '--duration', '1'], /choose one/],
  ])('%s: exit 2, a clear message, the queue unchanged', async (_case, args, message) => {
    const before = await queueDepth(app);
    const run = await apps.run('producer', args, { env: envOf(limitsRoot) });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(await queueDepth(app)).toBe(before);
  });

  it('within the limits the same root takes jobs: the refusals were the limits', async () => {
    const run = await apps.run('producer', ['--count', '2'], { env: envOf(limitsRoot) });
    expect(run.code).toBe(0);
    expect(await queueDepth(app)).toBe(10);
  });
});

describe('producer: backpressure and its record', () => {
  const recordDir = mkdtempSync(join(tmpdir(), 'producer-record-'));
  afterAll(() => rmSync(recordDir, { recursive: true, force: true }));

  interface RecordLine {
    jobId: string;
    type?: string;
    created?: true;
    key?: string | null;
    at: number;
  }
  function linesOf(file: string): RecordLine[] {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as RecordLine);
  }
  /** The intents: one per job, written before its create. */
  const recordOf = (file: string) => linesOf(file).filter((line) => line.created !== true);
  /** The confirmations: one per job the server created, after its create. */
  const confirmedOf = (file: string) => linesOf(file).filter((line) => line.created === true);

  async function fullQueue(name: string, limit: number): Promise<ZkClient> {
    const admin = await connectAs('admin', sharedConnectString(), `${root}/${name}`);
    clients.push(admin);
    await admin.create(PATHS.config, encode({ queueMaxDepth: limit }), {
      acl: namespaceAcls().config,
    });
    const filled = await apps.run('producer', ['--count', String(limit)], { env: envOf(name) });
    expect(filled.code).toBe(0);
    return appClient(name);
  }

  it('--record: a line per job before its create, and its confirmation after: every jobId in the queue', async () => {
    const file = join(recordDir, 'batch.jsonl');
    const run = await apps.run('producer', ['--count', '300', '--record', file], {
      env: envOf('record'),
    });
    expect(run.code).toBe(0);
    const lines = recordOf(file);
    expect(lines).toHaveLength(300);
    const queue = await readQueue(await appClient('record'));
    expect(new Set(lines.map((line) => line.jobId))).toEqual(
      new Set(queue.map((node) => node.job.id)),
    );
    for (const line of lines) {
      const job = queue.find((node) => node.job.id === line.jobId)!.job;
      expect(line.type).toBe('echo');
      expect(line.at).toBeLessThanOrEqual(job.created + 1_000);
    }
    const confirmed = confirmedOf(file);
    expect(confirmed.map((line) => line.jobId).sort()).toEqual(lines.map((l) => l.jobId).sort());
    const keys = new Map(queue.map((node) => [node.job.id, node.name]));
    for (const line of confirmed) expect(line.key).toBe(keys.get(line.jobId));
    // Each confirmation comes after its job's intent.
    const all = linesOf(file);
    all.forEach((line, at) => {
      if (line.created !== true) return;
      const intent = all.findIndex((l) => l.jobId === line.jobId && l.created !== true);
      expect(intent).toBeGreaterThanOrEqual(0);
      expect(at).toBeGreaterThan(intent);
    });
    // ZK_LAB_PRODUCER_RECORD appends to the same file.
    const again = await apps.run('producer', ['--count', '2'], {
      env: { ...envOf('record'), ZK_LAB_PRODUCER_RECORD: file },
    });
    expect(again.code).toBe(0);
    expect(recordOf(file)).toHaveLength(302);
  });

  it('a full queue holds the run back until there is room, instead of refusing it', async () => {
    const client = await fullQueue('held', 5);
    const file = join(recordDir, 'held.jsonl');
    const producer = apps.start('producer', ['--count', '4', '--record', file], envOf('held'));
    await waitFor('the producer held back', () => producer.output.stderr.includes('held back'));
    expect(await queueDepth(client)).toBe(5);
    // A stand-in for the workers: four jobs leave the queue.
    const names = (await readQueue(client)).map((node) => node.name).slice(0, 4);
    await Promise.all(names.map((name) => client.delete(queuePath(name))));
    const run = await producer.result();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/enqueued 4 echo jobs/);
    expect(await queueDepth(client)).toBe(5);
    expect(recordOf(file)).toHaveLength(4);
  });

  it('held back past --max-wait: exit 75, saying how many jobs were written', async () => {
    await fullQueue('gave-up', 3);
    const file = join(recordDir, 'gave-up.jsonl');
    const run = await apps.run(
      'producer',
      ['--rate', '100', '--duration', '0.5', '--max-wait', '0.5', '--record', file],
      { env: envOf('gave-up') },
    );
    expect(run.code).toBe(75);
    expect(run.stderr).toMatch(/held back: the queue holds about 3 job\(s\), its limit is 3/);
    expect(run.stderr).toMatch(
      /gave up: held back 0\.\d s by a full queue[\s\S]*0 of 50 jobs were written/,
    );
    expect(recordOf(file)).toHaveLength(0);
  });
});

describe('producer: its environment', () => {
  it('bad data in /config: the defaults apply, with a warning', async () => {
    const admin = await connectAs('admin', sharedConnectString(), `${root}/bad-config`);
    clients.push(admin);
    await admin.create(PATHS.config, 'not json', { acl: namespaceAcls().config });
    const run = await apps.run('producer', ['--count', '3'], { env: envOf('bad-config') });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: \/config holds bad data, so the default limits apply/);
    expect(await queueDepth(await appClient('bad-config'))).toBe(3);
  });

  it('ZooKeeper unreachable: exit 1 within the connect timeout, saying so', async () => {
    const run = await apps.run(
      'producer',
      ['--connect', '127.0.0.1:1', '--connect-timeout', '500'],
      {
        env: {
          ZK_ROOT: DEFAULT_ROOT,
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot reach ZooKeeper at 127\.0\.0\.1:1: no server answered within 500 ms/,
    );
  });

  it('credentials the namespace does not grant: exit 1 naming the user, no job written', async () => {
    const app = await appClient('intruder');
    const run = await apps.run('producer', ['--count', '3'], {
      env: {
        ...envOf('intruder'),
        ZK_PRODUCER_AUTH: 'intruder:not-the-password',
      },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/credentials of user "intruder" are not authorized/);
    expect(run.stderr).not.toContain('not-the-password');
    expect(await queueDepth(app)).toBe(0);
  });

  it('--help: the full help with examples, exit 0', async () => {
    const run = await apps.run('producer', ['--help']);
    expect(run.code).toBe(0);
    for (const text of [
      '--count N',
      '--rate R --duration S',
      '--wait',
      'Examples:',
      'Exit codes',
    ]) {
      expect(run.stdout).toContain(text);
    }
  });
});

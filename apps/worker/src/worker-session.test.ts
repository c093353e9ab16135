/**
 * The worker's life as a process: usage, live capacity, SIGTERM, a session lost to a
 * frozen process, and a restart while the old registration still lives.
 */
import { encode, namespaceAcls, workerPath } from '@zk-lab/lab-core';
import { CreateMode } from '@zk-lab/zk-client';
import { type AppProcess, sharedConnectString, testRoot, useApps, waitFor } from '@zk-lab/test';
import { TestLeader } from './__tests__/test-leader';

describe('worker: usage', () => {
  const apps = useApps();

  it('--help prints the flags and exits 0', async () => {
    const { code, stdout } = await apps.run('worker', ['--help']);
    expect(code).toBe(0);
    for (const flag of ['--id', '--capacity', '--connect', '--root', '--http-port']) {
      expect(stdout).toContain(flag);
    }
  });

  it.each([
    [['--connect', '127.0.0.1:1', '--id', '../etc'], /bad --id/],
    [['--capacity', '0'], /bad --capacity/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--connect', 'nowhere'], /bad connect string/],
  ])('%j is bad usage: exit 2 with a clear error', async (args, message) => {
    const { code, stderr } = await apps.run('worker', args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('bad credentials in the environment are bad usage, and the password is not echoed', async () => {
    const { code, stderr } = await apps.run('worker', ['--connect', '127.0.0.1:1'], {
      env: { ZK_APP_AUTH: 'me:short' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('ZK_APP_AUTH is invalid');
    expect(stderr).not.toContain('short');
  });
});

describe('worker: session and process life', () => {
  const root = testRoot();
  const apps = useApps(() => ({ ZK_CONNECT: sharedConnectString(), ZK_ROOT: root }));
  let leader: TestLeader;
  /** The worker without --capacity, which follows the live config. */
  let liveWorker: AppProcess | undefined;
  /** Starts a worker and waits for its HTTP port. */
  const start = async (args: string[]): Promise<AppProcess> => {
    const worker = apps.start('worker', args);
    await worker.port();
    return worker;
  };

  beforeAll(async () => {
    leader = await TestLeader.connect(root);
  });
  afterAll(async () => {
    await leader?.close();
  });

  it('without --capacity, a live change of workerCapacity shows in the registration within a second', async () => {
    const worker = (liveWorker = await start(['--id', 'w-live']));
    const before = await leader.waitForWorker('w-live');
    expect(before.info.capacity).toBe(4); // the default config
    const changed = Date.now();
    await leader.setConfig({ workerCapacity: 7 });
    await waitFor(
      'capacity 7 in /workers/w-live',
      async () => (await leader.registration('w-live'))?.info.capacity === 7,
      1_000,
    );
    expect(Date.now() - changed).toBeLessThan(1_000);
    const status = await worker.getJson<{ capacity: number; capacitySource: string }>('/status');
    expect(status).toMatchObject({ capacity: 7, capacitySource: 'config' });
    await worker.waitForLog('the config diff', (l) => /config version \d+ applied/.test(l.msg));
  });

  it('a live change of logLevel applies at once, to the app and the request logs', async () => {
    const worker = liveWorker!;
    type Levels = { config: { values: { logLevel: string } } };
    const levelIs = (level: string) => async () =>
      (await worker.getJson<Levels>('/status')).config.values.logLevel === level;

    await leader.setConfig({ workerCapacity: 7, logLevel: 'debug' });
    await worker.waitForLog('a debug line', (l) => l.level === 20, 5_000);

    await leader.setConfig({ workerCapacity: 7, logLevel: 'warn' });
    await waitFor('the warn level', levelIs('warn'));
    const from = Date.now();
    expect((await worker.get('/status')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past a backstop rescan
    const to = Date.now();
    await leader.setConfig({ workerCapacity: 7, logLevel: 'info' });
    await waitFor('the info level', levelIs('info'));
    const requested = Date.now();
    expect((await worker.get('/status')).status).toBe(200);
    await worker.waitForLog(
      'a request log',
      (l) => l.req !== undefined && Number(l.time) >= requested,
    );
    // While at warn: no request log, no debug rescan line, nothing under warn at all.
    const quiet = worker.logs.filter(
      (l) => Number(l.time) >= from && Number(l.time) <= to && l.level < 40,
    );
    expect(quiet).toEqual([]);
  });

  it('--capacity wins over the live config', async () => {
    await start(['--id', 'w-fixed', '--capacity', '3']);
    expect((await leader.waitForWorker('w-fixed')).info.capacity).toBe(3);
  });

  it('SIGTERM: exit code 0 within a second, and /workers/<id> is gone at once', async () => {
    const worker = await start(['--id', 'w-term']);
    await leader.waitForWorker('w-term');
    const sent = Date.now();
    worker.signal('SIGTERM');
    const exit = await worker.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(1_000);
    // The session was closed, not left to time out (4 s): the node is already gone.
    await leader.client.sync(workerPath('w-term'));
    expect(await leader.exists(workerPath('w-term'))).toBe(false);
  });

  it('frozen (SIGSTOP) past its session timeout, then SIGCONT: registers again and is ready', async () => {
    const worker = await start(['--id', 'w-frozen', '--session-timeout', '1000']);
    const first = await leader.waitForWorker('w-frozen');
    await waitFor('ready', async () => (await worker.get('/ready')).status === 200);
    worker.signal('SIGSTOP');
    try {
      await waitFor(
        'the session of the frozen worker to expire',
        async () => (await leader.registration('w-frozen')) === null,
        15_000,
      );
    } finally {
      worker.signal('SIGCONT');
    }
    await worker.waitForLog('LOST', (l) => l.msg === 'ZooKeeper session LOST');
    const again = await leader.waitForWorker('w-frozen');
    expect(again.stat.ephemeralOwner).not.toBe(first.stat.ephemeralOwner);
    await waitFor('ready again', async () => (await worker.get('/ready')).status === 200);
    const status = await worker.getJson<{ sessionId: string; registered: boolean }>('/status');
    expect(status.registered).toBe(true);
    expect(status.sessionId).toBe(`0x${again.stat.ephemeralOwner.toString(16)}`);
  });

  it('an id still registered by an earlier session: waits for that node to go, then registers', async () => {
    // The earlier session: a stand-in for a killed process whose session has not expired.
    const earlier = await TestLeader.connect(root);
    try {
      const old = { id: 'w-again', host: 'old', pid: 1, capacity: 1, started: 0, version: '0' };
      await earlier.client.create(workerPath('w-again'), encode(old), {
        mode: CreateMode.EPHEMERAL,
        acl: namespaceAcls().job,
      });
      const fresh = await start(['--id', 'w-again']);
      await fresh.waitForLog('the wait', (l) => /earlier session still holds/.test(l.msg));
      expect((await fresh.get('/ready')).status).toBe(503);
      expect((await leader.registration('w-again'))?.stat.ephemeralOwner).toBe(
        earlier.client.sessionId,
      );
      await earlier.close(); // the earlier session ends: its node goes
      await waitFor('ready', async () => (await fresh.get('/ready')).status === 200);
      const status = await fresh.getJson<{ sessionId: string }>('/status');
      const now = await leader.waitForWorker('w-again');
      expect(status.sessionId).toBe(`0x${now.stat.ephemeralOwner.toString(16)}`);
      expect(now.info).toMatchObject({ id: 'w-again', capacity: expect.any(Number) as unknown });
    } finally {
      await earlier.close();
    }
  });
});

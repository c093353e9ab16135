/**
 * The lock across real processes and real server failures, on a private ensemble:
 * contender processes (fixtures/lock-contender.cjs, on the built library) never overlap
 * over thousands of rounds and never hang; they wait in FIFO order; a SIGKILLed holder's
 * lock passes within its session timeout and a SIGTERMed one's at once. Then, in this
 * process, what a holder is told when its server dies or every server stops answering,
 * under each connection policy.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { serverOfSession, usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import type { ConnectionPolicy } from '../common/connection-policy';
import { DistributedLock } from './distributed-lock';
import type { LockLostError } from './errors';
import type { LockLease } from './lease';

const LIBRARY_DIST = join(__dirname, '../../dist/index.js');
const FIXTURE = join(__dirname, '../../fixtures/lock-contender.cjs');
/** Slack for process wake-ups and round trips on a busy 2-core machine. */
const MARGIN_MS = 1_000;

interface Line {
  event: string;
  [key: string]: unknown;
}

/** A contender process and the JSON lines it wrote. */
class Contender {
  readonly lines: Line[] = [];
  private stderr = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on('line', (text) => {
      this.lines.push(JSON.parse(text) as Line);
      for (const wake of [...this.waiters]) wake();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    // 'close', not 'exit': every line written before the exit has been read by then.
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
    void this.exited.then(() => {
      this.closed = true;
      for (const wake of [...this.waiters]) wake();
    });
  }

  private closed = false;

  get alive(): boolean {
    return !this.closed;
  }

  /** The first line of `event`, waiting up to `timeoutMs` for it. */
  async next(event: string, timeoutMs: number): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => line.event === event);
      if (found !== undefined) return found;
      const failed = this.lines.find((line) => line.event === 'error');
      if (failed !== undefined || !this.alive || Date.now() >= deadline) {
        throw new Error(
          `${this.name}: no '${event}' line ${this.alive ? `within ${timeoutMs} ms` : 'before it exited'}` +
            `\nlines: ${this.lines
              .slice(-5)
              .map((l) => JSON.stringify(l))
              .join('\n')}` +
            `\nstderr: ${this.stderr.slice(-2000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.waiters.add(wake);
      });
    }
  }

  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }
}

describe('DistributedLock across processes and server failures', () => {
  const cluster = usePrivateEnsemble({ size: 3 });
  const contenders: Contender[] = [];
  const clients: ZkClient[] = [];
  const locks: DistributedLock[] = [];
  let checker: ZkClient;
  let run = 0;

  beforeAll(async () => {
    if (!existsSync(LIBRARY_DIST)) {
      throw new Error(
        `${LIBRARY_DIST} is missing: these tests run the built library in child processes; ` +
          'run npm run build (npm test builds before jest)',
      );
    }
    checker = await ZkClient.connect({ connectString: cluster.connectString });
  });

  afterEach(async () => {
    for (const contender of contenders.splice(0)) {
      if (contender.alive) contender.child.kill('SIGKILL');
      await contender.exited;
    }
    await Promise.all(locks.splice(0).map((lock) => lock.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await cluster.ensemble.restoreAll();
  });

  afterAll(async () => {
    await checker?.close();
  });

  /** A fresh lock path, with its counter at 0. */
  async function freshLock(): Promise<{ path: string; counter: string; owner: string }> {
    run += 1;
    const base = `/processes/run-${run}`;
    await checker.ensurePath(base);
    await checker.create(`${base}/counter`, '0');
    return { path: `${base}/lock`, counter: `${base}/counter`, owner: `${base}/owner` };
  }

  function startContender(
    name: string,
    options: { path: string; counter: string; owner: string } & Record<string, unknown>,
  ): Contender {
    const child = spawn(
      process.execPath,
      [FIXTURE, JSON.stringify({ connectString: cluster.connectString, ...options })],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const contender = new Contender(name, child);
    contenders.push(contender);
    return contender;
  }

  async function nodeCount(path: string): Promise<number> {
    await checker.sync(path);
    return (await checker.getChildren(path).catch(() => [])).length;
  }

  it('never lets two processes hold at once, over thousands of rounds, and none hangs', async () => {
    const lock = await freshLock();
    const rounds = 700;
    const processes = ['a', 'b', 'c'].map((name) =>
      startContender(name, { ...lock, mode: 'rounds', rounds }),
    );
    // Each process finishes (no waiter hangs on a predecessor that vanished as it looked).
    const outcomes = await Promise.all(processes.map((p) => p.next('done', 90_000)));
    expect(outcomes.map((line) => line.rounds)).toEqual([rounds, rounds, rounds]);
    await Promise.all(processes.map((p) => p.exited));

    const all = processes.flatMap((p) => p.lines);
    expect(all.filter((line) => line.event === 'violation')).toEqual([]);
    const { data } = await checker.getData(lock.counter);
    expect(Number(data.toString())).toBe(3 * rounds);
    // Fencing tokens grow with the holders' order (the counter's values).
    const holds = all
      .filter((line) => line.event === 'acquired')
      .map((line) => ({ value: Number(line.value), token: BigInt(String(line.token)) }))
      .sort((x, y) => x.value - y.value);
    expect(holds.map((h) => h.value)).toEqual(Array.from({ length: 3 * rounds }, (_, i) => i + 1));
    for (let i = 1; i < holds.length; i++) {
      expect(holds[i]!.token > holds[i - 1]!.token).toBe(true);
    }
    expect(await nodeCount(lock.path)).toBe(0);
  }, 120_000);

  it('serves waiting processes in arrival order', async () => {
    const lock = await freshLock();
    const holder = startContender('holder', { ...lock, mode: 'hold' });
    await holder.next('acquired', 15_000);
    const waiters: Contender[] = [];
    for (let i = 1; i <= 3; i++) {
      waiters.push(startContender(`waiter-${i}`, { ...lock, mode: 'rounds', rounds: 1 }));
      await waitFor(`waiter-${i} in line`, async () => (await nodeCount(lock.path)) === i + 1);
    }
    holder.send('release');
    const values = await Promise.all(
      waiters.map(async (w) => (await w.next('acquired', 15_000)).value),
    );
    expect(values).toEqual([2, 3, 4]);
  });

  it("passes a SIGKILLed holder's lock to the next waiter within the session timeout", async () => {
    const lock = await freshLock();
    const holder = startContender('holder', { ...lock, mode: 'hold', sessionTimeoutMs: 1_000 });
    const { negotiatedTimeoutMs } = await holder.next('ready', 15_000);
    await holder.next('acquired', 15_000);
    const waiter = startContender('waiter', { ...lock, mode: 'hold' });
    await waitFor('the waiter in line', async () => (await nodeCount(lock.path)) === 2);

    const killedAt = Date.now();
    holder.child.kill('SIGKILL');
    const acquired = await waiter.next('acquired', 15_000);
    const elapsed = Date.now() - killedAt;
    expect(acquired.value).toBe(2);
    expect(elapsed).toBeLessThan(Number(negotiatedTimeoutMs) + MARGIN_MS);
  });

  it("passes a SIGTERMed holder's lock at once: its session is closed, not left to expire", async () => {
    const lock = await freshLock();
    // A long session: only an explicit close can pass the lock within a second.
    const holder = startContender('holder', { ...lock, mode: 'hold', sessionTimeoutMs: 4_000 });
    await holder.next('acquired', 15_000);
    const waiter = startContender('waiter', { ...lock, mode: 'hold' });
    await waitFor('the waiter in line', async () => (await nodeCount(lock.path)) === 2);

    const terminatedAt = Date.now();
    holder.child.kill('SIGTERM');
    const acquired = await waiter.next('acquired', 15_000);
    const elapsed = Date.now() - terminatedAt;
    expect(acquired.value).toBe(2);
    expect(elapsed).toBeLessThan(1_000);
    expect(await holder.exited).toBe(0);
  });

  describe('a holder in this process', () => {
    async function connect(servers: number[], sessionTimeoutMs: number): Promise<ZkClient> {
      const client = await ZkClient.connect({
        connectString: cluster.ensemble.connectString(servers),
        sessionTimeoutMs,
      });
      clients.push(client);
      return client;
    }

    function lockOn(client: ZkClient, path: string, policy: ConnectionPolicy): DistributedLock {
      const lock = new DistributedLock(client, path, { policy });
      void lock.start(); // a fresh recipe: it resolves at once, and never rejects
      locks.push(lock);
      return lock;
    }

    /** The followers now, so that killing or pausing one forces no election. */
    async function followers(): Promise<[number, number]> {
      const leader = await cluster.ensemble.waitForQuorum();
      const ids = cluster.ensemble.nodes.map((node) => node.id).filter((id) => id !== leader);
      return [ids[0]!, ids[1]!];
    }

    function nextState(client: ZkClient, wanted: ZkStateEvent): Promise<number> {
      return new Promise((resolve) => {
        const listener = (event: ZkStateEvent): void => {
          if (event !== wanted) return;
          client.off('state', listener);
          resolve(Date.now());
        };
        client.on('state', listener);
      });
    }

    function nextLoss(lock: DistributedLock): Promise<{ error: LockLostError; at: number }> {
      return new Promise((resolve) =>
        lock.once('lost', (error) => resolve({ error, at: Date.now() })),
      );
    }

    /** A holder on `servers` and a waiter in line behind it, on any server. */
    async function holderAndWaiter(
      servers: number[],
      policy: ConnectionPolicy,
      sessionTimeoutMs: number,
    ): Promise<{
      path: string;
      client: ZkClient;
      holder: DistributedLock;
      lease: LockLease;
      waiting: Promise<{ lease: LockLease; at: number }>;
    }> {
      const { path } = await freshLock();
      const client = await connect(servers, sessionTimeoutMs);
      const holder = lockOn(client, path, policy);
      const lease = await holder.acquire({ timeoutMs: 5_000 });
      const others = cluster.ensemble.nodes.map((n) => n.id).filter((id) => !servers.includes(id));
      const waiter = lockOn(await connect(others, 4_000), path, policy);
      const waiting = waiter
        .acquire({ timeoutMs: 15_000 })
        .then((next) => ({ lease: next, at: Date.now() }));
      waiting.catch(() => undefined); // a failed test must not leave it unhandled
      await waitFor('the waiter in line', async () => (await nodeCount(path)) === 2);
      return { path, client, holder, lease, waiting };
    }

    it("'standard': loses its lease when its server dies; the lock passes on though the session lives", async () => {
      const { client, holder, lease, waiting } = await holderAndWaiter(
        await followers(),
        'standard',
        4_000,
      );
      const lost = nextLoss(holder);
      const reconnected = nextState(client, 'RECONNECTED');
      const events: ZkStateEvent[] = [];
      client.on('state', (event) => events.push(event));
      await cluster.ensemble.killNode(await serverOfSession(cluster.ensemble, client.sessionId));

      expect((await lost).error.reason).toBe('SUSPENDED');
      expect(lease.signal.aborted).toBe(true);
      await reconnected;
      // The lost lease's node was deleted once the connection was back.
      const next = await waiting;
      expect(next.lease.fencingToken > lease.fencingToken).toBe(true);
      expect(events).not.toContain('LOST');
    });

    it("'standard': a holder cut off from the ensemble is told before anyone else can hold", async () => {
      const [isolated] = await followers();
      const { client, holder, lease, waiting } = await holderAndWaiter(
        [isolated],
        'standard',
        1_000,
      );
      const timeoutMs = client.negotiatedTimeoutMs;
      const lost = nextLoss(holder);
      const pausedAt = Date.now();
      try {
        cluster.ensemble.pauseNode(isolated);
        const next = await waiting; // the holder's session expired on the servers
        const loss = await lost;
        expect(loss.error.reason).toBe('SUSPENDED');
        expect(loss.at).toBeLessThan(next.at);
        expect(next.at - pausedAt).toBeLessThan(timeoutMs + MARGIN_MS);
        expect(next.lease.fencingToken > lease.fencingToken).toBe(true);
      } finally {
        cluster.ensemble.resumeNode(isolated);
      }
    });

    it("'session': keeps its lease when its server dies and the session lives", async () => {
      const { client, holder, lease } = await holderAndWaiter(await followers(), 'session', 4_000);
      const lost: LockLostError[] = [];
      holder.on('lost', (error) => lost.push(error));
      const reconnected = nextState(client, 'RECONNECTED');
      await cluster.ensemble.killNode(await serverOfSession(cluster.ensemble, client.sessionId));
      await reconnected;
      expect(lease.held).toBe(true);
      expect(lost).toEqual([]);
      // Still ours: a check against the servers, not only the lease's own view.
      await client.sync(lease.node);
      expect(await client.exists(lease.node)).not.toBeNull();
    });

    it('a waiter never holds on a node of the session its client declared LOST (review F1)', async () => {
      // B holds with a long session; A waits with a short one. Quorum is lost for longer
      // than A's session: A's client declares LOST, but the new ZooKeeper leader gives
      // every session a fresh timeout, so A's old node lives on for a while after quorum.
      const { path } = await freshLock();
      const holderClient = await connect([1, 2, 3], 30_000);
      const holder = lockOn(holderClient, path, 'standard');
      const held = await holder.acquire({ timeoutMs: 5_000 });
      const waiterClient = await connect([1, 2, 3], 4_000);
      const lost = nextState(waiterClient, 'LOST');
      const waiting = lockOn(waiterClient, path, 'standard').acquire({ timeoutMs: 60_000 });
      waiting.catch(() => undefined);
      await waitFor('the waiter in line', async () => (await nodeCount(path)) === 2);
      const [first, second] = await followers();
      try {
        cluster.ensemble.pauseNode(first);
        cluster.ensemble.pauseNode(second);
        await lost;
        expect(held.signal.aborted).toBe(true); // 'standard': lost at SUSPENDED
      } finally {
        cluster.ensemble.resumeNode(first);
        cluster.ensemble.resumeNode(second);
      }
      const lease = await waiting;
      // Held on a node of the waiter's current session, not of the one it lost: the
      // server's expiry of that session cannot hand the lock to anyone else meanwhile.
      const stat = await checker.exists(lease.node);
      expect(stat?.ephemeralOwner).toBe(waiterClient.sessionId);
      await lease.release();
    });

    it("'session': a holder cut off from the ensemble loses its lease at LOST; its waiter queues again", async () => {
      const [isolated] = await followers();
      const { path, client, holder, lease, waiting } = await holderAndWaiter(
        [isolated],
        'session',
        1_000,
      );
      // A second contender on the isolated client, in line behind the other waiter.
      const late = lockOn(client, path, 'session')
        .acquire({ timeoutMs: 30_000 })
        .then((next) => ({ lease: next, at: Date.now() }));
      late.catch(() => undefined);
      await waitFor('the late waiter in line', async () => (await nodeCount(path)) === 3);
      const timeoutMs = client.negotiatedTimeoutMs;
      const lost = nextLoss(holder);
      const suspended = nextState(client, 'SUSPENDED');
      const newSession = nextState(client, 'CONNECTED');
      const pausedAt = Date.now();
      let next: { lease: LockLease; at: number };
      try {
        cluster.ensemble.pauseNode(isolated);
        await suspended;
        expect(lease.held).toBe(true); // SUSPENDED is not a loss under 'session'
        const loss = await lost;
        expect(loss.error.reason).toBe('LOST');
        // SUSPENDED after 2/3 of the timeout without a reply, LOST a whole timeout later.
        expect(loss.at - pausedAt).toBeLessThan(2 * timeoutMs + MARGIN_MS);
        expect(lease.signal.aborted).toBe(true);
        next = await waiting;
        expect(next.lease.fencingToken > lease.fencingToken).toBe(true);
      } finally {
        cluster.ensemble.resumeNode(isolated);
      }
      // The late waiter's node went with the old session; in the new one it queues again
      // and gets the lock once the other waiter is done.
      await newSession;
      await waitFor('the late waiter in line again', async () => (await nodeCount(path)) === 2);
      await next.lease.release();
      const after = await late;
      expect(after.lease.fencingToken > next.lease.fencingToken).toBe(true);
      expect(after.at).toBeGreaterThan(next.at);
    });
  });
});

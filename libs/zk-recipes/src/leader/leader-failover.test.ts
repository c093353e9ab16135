// Leader election under failures, on an ensemble of this file's own: participants that are
// real processes (SIGKILLed, SIGTERMed, SIGSTOPped), and clients whose server is killed or
// paused (SUSPENDED, RECONNECTED, LOST under both connection policies).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { NoNodeError, ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import { serverOfSession, usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { LeadershipLostError, type RevocationReason } from './errors';
import { LeaderElection } from './leader-election';
import { LeaderLatch, type Leadership } from './leader-latch';

const REPO = resolve(__dirname, '..', '..', '..', '..');
const DIST = resolve(__dirname, '..', '..', 'dist', 'index.js');
const FIXTURE = resolve(__dirname, '..', '..', 'fixtures', 'leader-latch-participant.cjs');
const PROCESS_SESSION_TIMEOUT_MS = 2000;

const lab = usePrivateEnsemble({ size: 3 });

/** One JSON line of the fixture, with the time the test read it. */
interface Line {
  event: string;
  id: string;
  /** When the process wrote it (Date.now() there: the same clock on one machine). */
  t: number;
  receivedAt: number;
  token?: string;
  session?: string;
  reason?: RevocationReason;
  ok?: boolean;
  sent?: number;
  state?: ZkStateEvent;
  sessionTimeoutMs?: number;
}

/** A LeaderLatch participant running in a process of its own (fixtures/…participant.cjs). */
class Participant {
  readonly lines: Line[] = [];
  readonly exited: Promise<void>;
  killedAt: number | null = null;
  stoppedAt: number | null = null;
  resumedAt: number | null = null;
  private stderr = '';
  private readonly child: ChildProcess;
  private readonly changed = new Set<() => void>();

  constructor(
    readonly id: string,
    config: { connectString: string; path: string; actsPath: string },
  ) {
    this.child = spawn(
      process.execPath,
      [FIXTURE, JSON.stringify({ ...config, id, sessionTimeoutMs: PROCESS_SESSION_TIMEOUT_MS })],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      this.lines.push({
        ...(JSON.parse(text) as Omit<Line, 'receivedAt'>),
        receivedAt: Date.now(),
      });
      for (const notify of this.changed) notify();
    });
    this.exited = new Promise((done) => this.child.once('exit', () => done()));
    this.child.once('exit', () => {
      for (const notify of this.changed) notify();
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line (already read or to come) that `matches`. */
  line(what: string, matches: (line: Line) => boolean, timeoutMs = 10_000): Promise<Line> {
    return new Promise((done, fail) => {
      const check = (): void => {
        const found = this.lines.find(matches);
        if (found !== undefined) finish(() => done(found));
        else if (!this.running) {
          finish(() => fail(new Error(`${this.id} exited before ${what}: ${this.stderr}`)));
        }
      };
      const timer = setTimeout(
        () => finish(() => fail(new Error(`${this.id}: no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.changed.delete(check);
        settle();
      };
      this.changed.add(check);
      check();
    });
  }

  /**
   * Sends `signal` and returns the time just before it was sent: every line the process
   * writes after it has t >= that time (one clock on one machine), even if the process
   * runs again before this call returns.
   */
  signal(signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'): number {
    const at = Date.now();
    if (signal === 'SIGKILL') this.killedAt = at;
    if (signal === 'SIGSTOP') this.stoppedAt = at;
    if (signal === 'SIGCONT') this.resumedAt = at;
    this.child.kill(signal);
    return at;
  }

  /** SIGKILLs the process if it still runs (our own child, by its pid) and waits for it. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /**
   * Its terms of leadership as it announced them, [elected, end). A term ends at its
   * 'revoked' line, at SIGKILL, or at SIGSTOP: a frozen process does nothing. What a
   * resumed process does before it learns that it was deposed is checked apart, through
   * its fenced acts.
   */
  terms(): { elected: Line; end: number }[] {
    const terms: { elected: Line; end: number }[] = [];
    let open: Line | null = null;
    for (const line of this.lines) {
      if (line.event === 'elected') open = line;
      if (line.event === 'revoked' && open !== null) {
        terms.push({ elected: open, end: line.t });
        open = null;
      }
    }
    if (open !== null) terms.push({ elected: open, end: Infinity });
    for (const term of terms) {
      if (this.killedAt !== null) term.end = Math.min(term.end, this.killedAt);
      if (this.stoppedAt !== null && term.elected.t < this.stoppedAt) {
        term.end = Math.min(term.end, this.stoppedAt);
      }
    }
    return terms;
  }
}

/** The owner of the first participant node, read from the znodes at one moment. */
interface Sample {
  start: number;
  end: number;
  leader: { id: string; session: string } | null;
}

function sequence(name: string): number {
  return Number(name.slice(-10));
}

/** Reads the election from the outside, again and again, while a test runs. */
class LeaderSampler {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly client: ZkClient,
    private readonly path: string,
  ) {
    this.loop = this.sampleUntilStopped();
  }

  /** Waits until a sample that began after `since` shows `id` as the leader. */
  async sees(id: string, since: number): Promise<void> {
    await waitFor(
      `the sampler to see ${id} lead`,
      () => this.samples.some((s) => s.start > since && s.leader?.id === id),
      5000,
    );
  }

  async stop(): Promise<Sample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }

  private async sampleUntilStopped(): Promise<void> {
    while (this.running) {
      const start = Date.now();
      const leader = await this.readLeader();
      this.samples.push({ start, end: Date.now(), leader });
      await sleep(50); // the sampling period
    }
  }

  private async readLeader(): Promise<Sample['leader']> {
    // Catch up with the quorum leader first: a follower's view may lag behind.
    await this.client.sync(this.path);
    const names = (await this.client.getChildren(this.path).catch(() => []))
      .filter((name) => /latch-\d{10}$/.test(name))
      .sort((a, b) => sequence(a) - sequence(b));
    for (const name of names) {
      try {
        const { data, stat } = await this.client.getData(`${this.path}/${name}`);
        return { id: data.toString(), session: stat.ephemeralOwner.toString(16) };
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
    }
    return null;
  }
}

/**
 * At every sample, at most one process claimed leadership throughout it, and that one owned
 * the first participant node (by id and by session). Returns the ids the samples confirmed,
 * in order, without repeats.
 */
function expectOneLeaderAtATime(samples: Sample[], participants: Participant[]): string[] {
  const confirmed: string[] = [];
  for (const sample of samples) {
    const claims = participants.flatMap((participant) =>
      participant
        .terms()
        .filter((term) => term.elected.t < sample.start && term.end > sample.end)
        .map((term) => term.elected),
    );
    const seen = { sample, claims: claims.map((c) => ({ id: c.id, session: c.session })) };
    expect(claims.length <= 1 ? 'at most one leader' : seen).toBe('at most one leader');
    const claim = claims[0];
    if (claim !== undefined) {
      expect({ id: claim.id, session: claim.session }).toEqual(sample.leader);
      if (confirmed[confirmed.length - 1] !== claim.id) confirmed.push(claim.id);
    }
  }
  return confirmed;
}

/** The acts that reached ZooKeeper, in commit order: no older token after a newer one. */
async function expectFencedActs(client: ZkClient, actsPath: string): Promise<bigint[]> {
  const names = (await client.getChildren(actsPath)).sort((a, b) => sequence(a) - sequence(b));
  const tokens: bigint[] = [];
  for (const name of names) {
    const { data } = await client.getData(`${actsPath}/${name}`);
    tokens.push(BigInt((JSON.parse(data.toString()) as { token: string }).token));
  }
  for (let i = 1; i < tokens.length; i++) expect(tokens[i]! >= tokens[i - 1]!).toBe(true);
  return tokens;
}

describe('LeaderLatch participants as separate processes', () => {
  let admin: ZkClient;
  let participants: Participant[] = [];
  let sampler: LeaderSampler | null = null;
  let run = 0;

  beforeAll(async () => {
    if (!existsSync(DIST)) {
      throw new Error(`${DIST} is missing: run \`npm run build\` (npm test builds before jest)`);
    }
    admin = await ZkClient.connect({ connectString: lab.connectString, sessionTimeoutMs: 4000 });
  });

  afterEach(async () => {
    await sampler?.stop();
    sampler = null;
    await Promise.all(participants.map((participant) => participant.stop()));
    participants = [];
  });

  afterAll(async () => {
    await admin?.close();
  });

  /** Three processes in one election, a sampler on it, and the first one elected. */
  async function startThree(): Promise<{ path: string; actsPath: string; leader: Participant }> {
    run++;
    const path = `/processes/election-${run}`;
    const actsPath = `/processes/acts-${run}`;
    await admin.ensurePath(path);
    sampler = new LeaderSampler(admin, path);
    participants = ['p1', 'p2', 'p3'].map(
      (id) => new Participant(id, { connectString: lab.connectString, path, actsPath }),
    );
    await Promise.all(participants.map((p) => p.line('ready', (l) => l.event === 'ready')));
    const leader = await Promise.any(
      participants.map(async (p) => {
        await p.line('elected', (l) => l.event === 'elected');
        return p;
      }),
    );
    await leader.line('a first act', (l) => l.event === 'act' && l.ok === true);
    const elected = await leader.line('elected', (l) => l.event === 'elected');
    await sampler.sees(leader.id, elected.t);
    return { path, actsPath, leader };
  }

  /** The first 'elected' line any other process reads after `since`. */
  function nextLeader(leaving: Participant, since: number, timeoutMs: number): Promise<Line> {
    return Promise.any(
      participants
        .filter((p) => p !== leaving)
        .map((p) => p.line('elected', (l) => l.event === 'elected' && l.t >= since, timeoutMs)),
    );
  }

  function sessionTimeoutOf(participant: Participant): number {
    const ready = participant.lines.find((l) => l.event === 'ready');
    expect(ready?.sessionTimeoutMs).toBeGreaterThan(0);
    return ready!.sessionTimeoutMs!;
  }

  it('a SIGKILLed leader is replaced within the session timeout + 1 s, one leader at a time', async () => {
    const { actsPath, leader } = await startThree();
    const sessionTimeoutMs = sessionTimeoutOf(leader);

    const killedAt = leader.signal('SIGKILL');
    const next = await nextLeader(leader, killedAt, sessionTimeoutMs + 5000);
    expect(next.receivedAt - killedAt).toBeLessThan(sessionTimeoutMs + 1000);
    const successor = participants.find((p) => p.id === next.id)!;
    await successor.line('an act', (l) => l.event === 'act' && l.ok === true && l.t > killedAt);

    await sampler!.sees(next.id, next.t);
    const samples = await sampler!.stop();
    expect(expectOneLeaderAtATime(samples, participants)).toEqual([leader.id, next.id]);
    const tokens = await expectFencedActs(admin, actsPath);
    expect(new Set(tokens).size).toBe(2);
  });

  it('a leader that closes (SIGTERM) hands leadership to the next process in under a second', async () => {
    const { actsPath, leader } = await startThree();

    const termAt = leader.signal('SIGTERM');
    const next = await nextLeader(leader, termAt, 5000);
    expect(next.receivedAt - termAt).toBeLessThan(1000);
    // It stopped leading before its node went, then closed its session and exited.
    const revoked = await leader.line('revoked', (l) => l.event === 'revoked');
    expect(revoked.reason).toBe('CLOSED');
    expect(revoked.t).toBeLessThanOrEqual(next.t);
    await leader.line('closed', (l) => l.event === 'closed');
    await leader.exited;

    await sampler!.sees(next.id, next.t);
    const samples = await sampler!.stop();
    expect(expectOneLeaderAtATime(samples, participants)).toEqual([leader.id, next.id]);
    await expectFencedActs(admin, actsPath);
  });

  it('a leader paused past its session timeout learns it was deposed, and its acts after that fail', async () => {
    const { actsPath, leader } = await startThree();
    const sessionTimeoutMs = sessionTimeoutOf(leader);

    const stoppedAt = leader.signal('SIGSTOP');
    const next = await nextLeader(leader, stoppedAt, sessionTimeoutMs + 5000);
    expect(next.receivedAt - stoppedAt).toBeLessThan(sessionTimeoutMs + 1000);
    const successor = participants.find((p) => p.id === next.id)!;
    await successor.line('an act', (l) => l.event === 'act' && l.ok === true && l.t > stoppedAt);

    const resumedAt = leader.signal('SIGCONT');
    const revoked = await leader.line(
      'revoked after the pause',
      (l) => l.event === 'revoked' && l.t >= resumedAt,
      sessionTimeoutMs + 5000,
    );
    expect(revoked.receivedAt - resumedAt).toBeLessThan(sessionTimeoutMs + 1000);
    // Whatever it reads first once thawed: the deletion of its node (the notification was
    // waiting in its socket), the dropped connection, or the expired session.
    expect(['NODE_DELETED', 'SUSPENDED', 'LOST']).toContain(revoked.reason);
    // Its new session: every act it had under way has settled (and been printed) by then.
    await leader.line(
      'a new session',
      (l) => l.event === 'state' && l.state === 'CONNECTED' && l.t >= resumedAt,
      sessionTimeoutMs + 10_000,
    );
    const actsAfterResume = leader.lines.filter((l) => l.event === 'act' && l.sent! >= resumedAt);
    expect(actsAfterResume.filter((l) => l.ok === true)).toEqual([]);
    expect(leader.lines.filter((l) => l.event === 'act' && l.sent! > revoked.t)).toEqual([]);
    expect(leader.lines.filter((l) => l.event === 'elected' && l.t >= resumedAt)).toEqual([]);

    await sampler!.sees(next.id, resumedAt);
    const samples = await sampler!.stop();
    expect(expectOneLeaderAtATime(samples, participants)).toEqual([leader.id, next.id]);
    const tokens = await expectFencedActs(admin, actsPath);
    expect(tokens[tokens.length - 1]).toBe(BigInt(next.token!));
  });
});

describe('connection policies when the server goes away', () => {
  const clients: ZkClient[] = [];
  const recipes: { close(): Promise<void> }[] = [];
  let run = 0;

  async function connect(ids: number[], sessionTimeoutMs: number): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: lab.ensemble.connectString(ids),
      sessionTimeoutMs,
    });
    clients.push(client);
    return client;
  }

  async function followers(): Promise<number[]> {
    const leaderId = await lab.ensemble.waitForQuorum();
    return lab.ensemble.nodes.map((n) => n.id).filter((id) => id !== leaderId);
  }

  /** Every event of a latch, as 'elected', 'suspended' or 'revoked:<reason>'. */
  function record(latch: LeaderLatch): string[] {
    const events: string[] = [];
    latch.on('elected', () => events.push('elected'));
    latch.on('suspended', () => events.push('suspended'));
    latch.on('revoked', ({ reason }) => events.push(`revoked:${reason}`));
    return events;
  }

  function path(): string {
    run++;
    return `/policies/election-${run}`;
  }

  afterEach(async () => {
    await Promise.all(recipes.splice(0).map((recipe) => recipe.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it("'standard': SUSPENDED revokes at once, and after RECONNECTED the same node leads again with the same token", async () => {
    const client = await connect(await followers(), 4000);
    const latch = new LeaderLatch(client, path(), { policy: 'standard' });
    recipes.push(latch);
    const events = record(latch);
    await latch.start();
    const before = await latch.await({ timeoutMs: 5000 });

    // A LeaderElection on the same client: its leadership signal aborts at SUSPENDED.
    const reasons: unknown[] = [];
    const election = new LeaderElection(
      client,
      path(),
      async ({ signal }) => {
        await new Promise((aborted) => signal.addEventListener('abort', aborted, { once: true }));
        reasons.push(signal.reason);
      },
      { autoRequeue: true },
    );
    recipes.push(election);
    const terms: Leadership[] = [];
    election.on('elected', (leadership) => terms.push(leadership));
    const firstTerm = once(election, 'elected');
    await election.start();
    await firstTerm;

    const server = await serverOfSession(lab.ensemble, client.sessionId);
    let revokedWhileSuspended = false;
    client.once('state', (state) => {
      revokedWhileSuspended = state === 'SUSPENDED' && !latch.hasLeadership;
    });
    const suspended = once(client, 'state', { signal: AbortSignal.timeout(10_000) });
    await lab.ensemble.killNode(server);
    try {
      expect(await suspended).toEqual(['SUSPENDED']);
      await waitFor('RECONNECTED', () => client.state === 'CONNECTED', 10_000);
      const after = await latch.await({ timeoutMs: 5000 });
      expect(revokedWhileSuspended).toBe(true);
      expect(events).toEqual(['elected', 'suspended', 'revoked:SUSPENDED', 'elected']);
      expect(after.token).toBe(before.token);
      expect(after.nodePath).toBe(before.nodePath);

      await waitFor('a second term', () => terms.length === 2, 5000);
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toBeInstanceOf(LeadershipLostError);
      expect((reasons[0] as LeadershipLostError).reason).toBe('SUSPENDED');
      expect(terms[1]!.token > terms[0]!.token).toBe(true);
    } finally {
      await lab.ensemble.startNode(server);
    }
  });

  it("'session': SUSPENDED only warns the leader; it keeps leading through RECONNECTED", async () => {
    const client = await connect(await followers(), 4000);
    const latch = new LeaderLatch(client, path(), { policy: 'session' });
    recipes.push(latch);
    const events = record(latch);
    await latch.start();
    const before = await latch.await({ timeoutMs: 5000 });

    const server = await serverOfSession(lab.ensemble, client.sessionId);
    let leadingWhileSuspended = false;
    client.once('state', (state) => {
      leadingWhileSuspended = state === 'SUSPENDED' && latch.hasLeadership;
    });
    await lab.ensemble.killNode(server);
    try {
      await waitFor('RECONNECTED', () => client.state === 'CONNECTED', 10_000);
      // A round trip after RECONNECTED: the latch has checked its node by then.
      expect(await latch.getLeader()).toMatchObject({ nodePath: before.nodePath });
      expect(leadingWhileSuspended).toBe(true);
      expect(latch.leadership).toBe(before);
      expect(events).toEqual(['elected', 'suspended']);
    } finally {
      await lab.ensemble.startNode(server);
    }
  });

  it("'session': LOST revokes at once, another participant leads, and the old leader rejoins with its new session", async () => {
    const [alone] = await followers();
    const election = path();
    // The leader's client can reach one server only; pausing it cuts the session off.
    const cutOff = await connect([alone!], 1200);
    const first = new LeaderLatch(cutOff, election, { id: 'first', policy: 'session' });
    recipes.push(first);
    const events = record(first);
    await first.start();
    await first.await({ timeoutMs: 5000 });
    const elsewhere = await connect(
      lab.ensemble.nodes.map((n) => n.id).filter((id) => id !== alone),
      4000,
    );
    const second = new LeaderLatch(elsewhere, election, { id: 'second', policy: 'session' });
    recipes.push(second);
    await second.start();
    await waitFor('second queued', async () => (await second.getParticipants()).length === 2);

    const timeoutMs = cutOff.negotiatedTimeoutMs;
    const pausedAt = Date.now();
    const lost = once(first, 'revoked', { signal: AbortSignal.timeout(10_000) });
    const secondElected = second.await({ timeoutMs: timeoutMs + 5000 });
    lab.ensemble.pauseNode(alone!);
    try {
      await secondElected;
      expect(Date.now() - pausedAt).toBeLessThan(timeoutMs + 1000);
      await lost;
      // The client says LOST after a whole session timeout SUSPENDED, which came after
      // two thirds of one without an answer.
      expect(Date.now() - pausedAt).toBeLessThan(timeoutMs * 2 + 1000);
      expect(events).toEqual(['elected', 'suspended', 'revoked:LOST']);
    } finally {
      lab.ensemble.resumeNode(alone!);
    }
    await waitFor(
      'first back in the queue',
      async () => (await second.getParticipants()).map((p) => p.id).join() === 'second,first',
      20_000,
    );
    expect(first.hasLeadership).toBe(false);
    expect(second.hasLeadership).toBe(true);
  });
});

import type { SessionView, Snapshot } from '@zk-lab/dashboard';
import type { AppReport } from '../app-status';
import type { EnsembleReading, ServerReading } from '../monitor/ensemble-reading';
import { sessionOfStatus } from './lab-app-views';
import { sampleOf } from './chart-sample';
import { connectionsBySession, parseCons } from './server-connections';
import { roleOf, serverViewOf } from './server-roles';
import {
  ENDED_KEPT_MS,
  SessionCountdown,
  type EnsembleClock,
  type ListedConnection,
  type SessionEvidence,
} from './session-countdown';
import { timelineBetween } from './snapshot-timeline';
import type { NamespaceReading } from './namespace-reading';
import { AppSessionBook, evidenceOf } from './session-evidence';
import { emptySnapshot } from './status-loop';

function server(over: Partial<ServerReading>): ServerReading {
  return {
    server: '127.0.0.1:2181',
    host: '127.0.0.1',
    port: 2181,
    state: 'up',
    serving: true,
    mode: 'follower',
    zxid: { hex: '0x100000005', epoch: 1, counter: 5 },
    latency: { min: 0, avg: 1, max: 4 },
    received: 100,
    sent: 100,
    outstanding: 0,
    connections: 1,
    watches: 0,
    ephemerals: 0,
    znodes: 10,
    dataSize: 0,
    openFileDescriptors: null,
    maxFileDescriptors: null,
    version: '3.8.0',
    refused: [],
    error: null,
    ...over,
  };
}

describe('server roles', () => {
  it('a server that answers but serves nobody is out of quorum; one silent is not answering; none listening is down', () => {
    expect(roleOf(server({ mode: 'leader' }))).toBe('leader');
    expect(roleOf(server({ serving: false, mode: null }))).toBe('out-of-quorum');
    expect(roleOf(server({ mode: 'read-only' }))).toBe('out-of-quorum');
    expect(roleOf(server({ state: 'not-answering', mode: null, serving: null }))).toBe(
      'not-answering',
    );
    expect(roleOf(server({ state: 'down', mode: null, serving: null }))).toBe('down');
  });

  it('a server that answers but refuses srvr and mntr is not called silent: it refuses the words, named with the whitelist line', () => {
    const view = serverViewOf(server({ mode: null, serving: null, refused: ['srvr', 'mntr'] }), 2);
    expect(view).toMatchObject({ id: 2, role: 'words-refused', refusedWords: ['srvr', 'mntr'] });
    expect(view.error).toContain('refuses srvr and mntr');
    expect(view.error).toContain('4lw.commands.whitelist=srvr,mntr');
  });
});

describe('chart samples', () => {
  const reading = (
    at: number,
    servers: ServerReading[],
    leader: string | null,
  ): EnsembleReading => ({
    at,
    servers,
    leader,
  });
  const a = '127.0.0.1:1';
  const b = '127.0.0.1:2';
  const ids = new Map([
    [a, 1],
    [b, 2],
  ]);

  it('requests are the sum of received deltas, writes the leader zxid slope, completed the results growth', () => {
    const before = reading(
      0,
      [
        server({
          server: a,
          received: 100,
          mode: 'leader',
          zxid: { hex: '', epoch: 2, counter: 10 },
        }),
        server({ server: b, received: 50, zxid: { hex: '', epoch: 2, counter: 9 } }),
      ],
      a,
    );
    const after = reading(
      2_000,
      [
        server({
          server: a,
          received: 140,
          mode: 'leader',
          zxid: { hex: '', epoch: 2, counter: 30 },
        }),
        server({
          server: b,
          received: 70,
          latency: { min: 0, avg: 3, max: 9 },
          zxid: { hex: '', epoch: 2, counter: 30 },
        }),
      ],
      a,
    );
    const sample = sampleOf(
      before,
      after,
      {
        previous: { at: 0, queued: 3, results: 10 },
        current: { at: 2_000, queued: 5, results: 16 },
      },
      (s) => ids.get(s)!,
    );
    expect(sample).toEqual({
      time: 2_000,
      requestsPerSec: 30,
      writesPerSec: 10,
      latencyAvgMs: 2,
      latencyMaxMs: 9,
      queueDepth: 5,
      completedPerSec: 3,
      zxids: { '1': { epoch: 2, counter: 30 }, '2': { epoch: 2, counter: 30 } },
    });
  });

  it('no rate without an earlier reading, across a new epoch, or when results went down', () => {
    const now = reading(1_000, [server({ server: a, mode: 'leader' })], a);
    expect(sampleOf(null, now, { previous: null, current: null }, () => 1)).toMatchObject({
      requestsPerSec: null,
      writesPerSec: null,
      completedPerSec: null,
      queueDepth: null,
    });
    const newEpoch = reading(
      2_000,
      [server({ server: a, mode: 'leader', zxid: { hex: '', epoch: 2, counter: 1 } })],
      a,
    );
    const sample = sampleOf(
      now,
      newEpoch,
      {
        previous: { at: 1_000, queued: 0, results: 5 },
        current: { at: 2_000, queued: 0, results: 0 },
      },
      () => 1,
    );
    expect(sample.writesPerSec).toBeNull();
    expect(sample.completedPerSec).toBeNull();
  });
});

describe('server connections (cons)', () => {
  const cons = [
    ' /127.0.0.1:40000[1](queued=0,recved=12,sent=12,sid=0x100a1b2c3d40000,lop=PING,est=1700000000000,to=4000,lcxid=0x5,lzxid=0x100000009,lresp=71486734,llat=0,minlat=0,avglat=0,maxlat=1)',
    ' /127.0.0.1:40002[0](queued=0,recved=1,sent=0)',
    '',
  ].join('\n');

  it('lists connections that have a session, with timeout and the server time of its last answer', () => {
    expect(parseCons(cons)).toEqual([
      { session: '0x100a1b2c3d40000', timeoutMs: 4_000, lastResponse: 71486734, received: 12 },
    ]);
  });

  it('knows no session at all when an up server refused cons', () => {
    const listed = { server: 1, state: 'listed' as const, connections: parseCons(cons) };
    expect(
      connectionsBySession([listed, { server: 2, state: 'refused' }], new Set([1, 2])),
    ).toBeNull();
    // a server that is down lists nothing and hides nothing
    expect(
      connectionsBySession([listed, { server: 2, state: 'unread' }], new Set([1]))?.get(
        '0x100a1b2c3d40000',
      )?.server,
    ).toBe(1);
  });
});

describe('session countdown', () => {
  const listed = (over: Partial<ListedConnection> = {}): Map<string, ListedConnection> =>
    new Map([
      [
        '0x1',
        { session: '0x1', timeoutMs: 4_000, lastResponse: 500, received: 3, server: 2, ...over },
      ],
    ]);
  const evidence = (
    clientDown: string | null = null,
    over: Partial<SessionEvidence> = {},
  ): SessionEvidence[] => [
    { id: '0x1', owner: 'w1', ephemerals: ['/r/workers/w1'], clientDown, logged: null, ...over },
  ];
  // A leader, and a tickTime of 200 ms as `conf` tells it.
  const led: EnsembleClock = { leader: '1@3', tickMs: 200 };

  it('a client whose server answer has not moved for half its timeout is silent, and should expire by one timeout and two ticks after it was last heard', () => {
    const countdown = new SessionCountdown();
    expect(countdown.views(1_000, evidence(), listed(), led)[0]).toMatchObject({
      connected: true,
      server: 2,
      expiresBy: null,
    });
    expect(
      countdown.views(2_000, evidence(), listed({ lastResponse: 900 }), led)[0]!.connected,
    ).toBe(true);
    // the same last answer for 2 s (of a 4 s timeout): not yet silent
    expect(
      countdown.views(4_000, evidence(), listed({ lastResponse: 900 }), led)[0]!.connected,
    ).toBe(true);
    // The leader rounds expiry up to its next tick, and a follower forwards pings on its own
    // next ping: up to two ticks past last heard + timeout.
    expect(countdown.views(4_500, evidence(), listed({ lastResponse: 900 }), led)[0]).toMatchObject(
      {
        connected: false,
        because: 'client silent',
        expiresBy: 2_000 + 4_000 + 2 * 200,
        expiryApproximate: false,
        expiryHeld: null,
      },
    );
  });

  it('without tickTime (conf refused) the deadline is last heard + timeout, and says it is approximate', () => {
    const countdown = new SessionCountdown();
    const clock = { leader: '1@3', tickMs: null };
    countdown.views(1_000, evidence(), listed(), clock);
    expect(countdown.views(1_500, evidence('client paused'), listed(), clock)[0]).toMatchObject({
      connected: false,
      because: 'client paused',
      expiresBy: 5_000,
      expiryApproximate: true,
    });
  });

  it('with no ZooKeeper leader no session can expire: the countdown stops and says why, and each new leader starts it again from a fresh timeout', () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, evidence(), listed(), led);
    expect(countdown.views(1_500, evidence('client paused'), listed(), led)[0]).toMatchObject({
      expiresBy: 5_400,
      expiryHeld: null,
    });
    const none = { leader: null, tickMs: 200 };
    expect(countdown.views(2_000, evidence('client paused'), new Map(), none)[0]).toMatchObject({
      connected: false,
      expiresBy: null,
      expiryHeld: 'no leader: sessions cannot expire now',
    });
    // Past the old deadline, still no leader: it has not expired, and nothing says it did.
    const held = countdown.views(9_000, evidence('client paused'), new Map(), none)[0]!;
    expect(held).toMatchObject({ ended: null, expiresBy: null });
    // The new leader gives the session a whole timeout again, from when it was first seen.
    expect(
      countdown.views(10_000, evidence('client paused'), new Map(), {
        leader: '2@4',
        tickMs: 200,
      })[0],
    ).toMatchObject({ expiresBy: 10_000 + 4_000 + 400, expiryHeld: null });
    // A leader that changes without a gap seen in between restarts it too.
    expect(
      countdown.views(12_000, evidence('client paused'), new Map(), {
        leader: '3@5',
        tickMs: 200,
      })[0],
    ).toMatchObject({ expiresBy: 12_000 + 4_000 + 400 });
  });

  it('not listed by any server: not connected, counting from when it was last heard', () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, evidence(), listed(), led);
    expect(countdown.views(2_000, evidence(), new Map(), led)[0]).toMatchObject({
      connected: false,
      expiresBy: 5_400,
      timeoutMs: 4_000,
    });
  });

  it('without cons it says nothing more than the ephemerals', () => {
    expect(new SessionCountdown().views(1_000, evidence(), null, led)[0]).toEqual({
      id: '0x1',
      owner: 'w1',
      server: null,
      timeoutMs: null,
      ephemerals: ['/r/workers/w1'],
      connected: true,
      expiresBy: null,
      expiryApproximate: false,
      expiryHeld: null,
      because: null,
      ended: null,
      endedAt: null,
    });
  });
});

describe('how a session ended', () => {
  const listed = (): Map<string, ListedConnection> =>
    new Map([
      ['0x1', { session: '0x1', timeoutMs: 4_000, lastResponse: 500, received: 3, server: 2 }],
    ]);
  const led: EnsembleClock = { leader: '1@3', tickMs: 200 };
  const alive: SessionEvidence = {
    id: '0x1',
    owner: 'w1',
    ephemerals: ['/r/workers/w1'],
    clientDown: null,
    logged: null,
  };

  it('a cleanly stopped app closed its session: shown closed (not expired), kept a while, then gone', () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, [alive], listed(), led);
    // SIGTERM: the app logged its close, its registration went at once, the app is down.
    const closed = {
      ...alive,
      ephemerals: [],
      clientDown: 'client dead',
      logged: 'closed' as const,
    };
    const view = countdown.views(2_000, [closed], new Map(), led)[0]!;
    expect(view).toMatchObject({ id: '0x1', ended: 'closed', endedAt: 2_000, connected: false });
    expect(view.expiresBy).toBeNull();
    expect(view.because).toBeNull();
    expect(countdown.views(2_000 + ENDED_KEPT_MS - 1, [closed], new Map(), led)[0]?.ended).toBe(
      'closed',
    );
    expect(countdown.views(2_000 + ENDED_KEPT_MS, [closed], new Map(), led)).toEqual([]);
  });

  it('a session that vanished well before its deadline was closed; one that went after it could have expired, expired', () => {
    const early = new SessionCountdown();
    early.views(1_000, [alive], listed(), led);
    expect(early.views(2_000, [], new Map(), led)[0]).toMatchObject({ ended: 'closed' });

    const late = new SessionCountdown();
    late.views(1_000, [alive], listed(), led);
    late.views(2_000, [{ ...alive, clientDown: 'client paused' }], listed(), led);
    expect(late.views(5_000, [], new Map(), led)[0]).toMatchObject({
      ended: 'expired',
      endedAt: 5_000,
      ephemerals: ['/r/workers/w1'],
    });
  });

  it('its client said it closed it: closed at once, though a listing a moment old still shows its registration', () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, [alive], listed(), led);
    const closing = { ...alive, clientDown: 'client dead', logged: 'closed' as const };
    expect(countdown.views(2_000, [closing], new Map(), led)[0]).toMatchObject({
      ended: 'closed',
      because: null,
      expiresBy: null,
    });
  });

  it('its client logged SessionExpired: expired, whenever it went', () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, [alive], listed(), led);
    countdown.views(1_500, [{ ...alive, logged: 'expired' }], listed(), led);
    expect(countdown.views(2_000, [], new Map(), led)[0]?.ended).toBe('expired');
  });

  it("a killed app's old session, kept as its dead client's, is shown expired when the server deletes its ephemerals, not counting on to the deadline", () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, [alive], listed(), led);
    const dead = { ...alive, clientDown: 'client dead' };
    expect(countdown.views(2_000, [dead], new Map(), led)[0]).toMatchObject({
      ended: null,
      expiresBy: 5_400,
    });
    // The server expired it a tick early of the upper bound: its registration is gone.
    expect(countdown.views(5_100, [{ ...dead, ephemerals: [] }], new Map(), led)[0]).toMatchObject({
      ended: 'expired',
      endedAt: 5_100,
      ephemerals: ['/r/workers/w1'],
    });
  });

  it('a killed client whose session nothing in ZooKeeper shows (no ephemeral, no connection) expires once its deadline passed, not before', () => {
    const countdown = new SessionCountdown();
    const bare = { ...alive, ephemerals: [] };
    countdown.views(1_000, [bare], listed(), led);
    const dead = { ...bare, clientDown: 'client dead' };
    expect(countdown.views(3_000, [dead], new Map(), led)[0]).toMatchObject({
      ended: null,
      expiresBy: 5_400,
    });
    expect(countdown.views(5_500, [dead], new Map(), led)[0]).toMatchObject({ ended: 'expired' });
  });
});

describe('timeline from two snapshots', () => {
  const snap = (over: Partial<Snapshot>): Snapshot => ({
    ...emptySnapshot('read-only', 10),
    ...over,
  });
  const zk = (id: number, role: Snapshot['servers'][number]['role']) =>
    serverViewOf(
      server({ mode: role === 'down' ? null : role, state: role === 'down' ? 'down' : 'up' }),
      id,
    );
  const worker = (name: string, registered: boolean) => ({
    name,
    kind: 'worker' as const,
    process: 'unknown' as const,
    partitioned: false,
    session: null,
    leading: false,
    epoch: null,
    registered,
    running: [],
    role: '',
  });
  const choice = { apps: true, processes: false };

  it('a killed ZooKeeper leader: the server goes down and another leads', () => {
    const before = snap({ servers: [zk(1, 'leader'), zk(2, 'follower')], zkLeader: 1 });
    const after = snap({ servers: [zk(1, 'down'), zk(2, 'leader')], zkLeader: 2 });
    const lines = timelineBetween(before, after, choice);
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'warn', source: 'zk1', text: 'zk1: leader → down' }),
    );
    const election = lines.find((e) => e.kind === 'election');
    expect(election?.source).toBe('zk2');
    expect(election?.text).toContain('zk2 leads ZooKeeper (was zk1)');
  });

  it('a new master epoch is an election; workers registering and going are joins and losses', () => {
    const before = snap({ leaderMaster: { name: 'm1', epoch: 3 }, apps: [worker('w1', true)] });
    const after = snap({ leaderMaster: { name: 'm2', epoch: 4 }, apps: [worker('w2', true)] });
    expect(timelineBetween(before, after, choice).map((e) => [e.kind, e.source, e.text])).toEqual([
      ['election', 'm2', 'm2 leads the masters (epoch 4), was m1'],
      ['join', 'w2', 'w2 registered'],
      ['loss', 'w1', 'w1 unregistered'],
    ]);
    expect(timelineBetween(null, after, choice)).toEqual([]);
  });
});

describe('session ends on the timeline', () => {
  const view = (over: Partial<SessionView>): SessionView => ({
    id: '0x1',
    owner: 'w1',
    server: null,
    timeoutMs: 4_000,
    ephemerals: ['/r/workers/w1'],
    connected: false,
    expiresBy: null,
    expiryApproximate: false,
    expiryHeld: null,
    because: null,
    ended: null,
    endedAt: null,
    ...over,
  });
  const snap = (sessions: SessionView[]): Snapshot => ({
    ...emptySnapshot('lab', 10),
    sessions,
  });

  it('says once how a session ended: closed by its client, or expired', () => {
    const closed = view({ ended: 'closed', endedAt: 10 });
    const lines = timelineBetween(snap([view({})]), snap([closed]), {
      apps: false,
      processes: true,
    });
    expect(lines).toEqual([
      {
        time: 10,
        kind: 'session',
        source: 'w1',
        text: 'session 0x1 (w1) closed by its client: its 1 ephemeral node(s) went at once',
      },
    ]);
    expect(
      timelineBetween(snap([closed]), snap([closed]), { apps: false, processes: true }),
    ).toEqual([]);
    expect(
      timelineBetween(snap([view({})]), snap([view({ ended: 'expired', endedAt: 10 })]), {
        apps: false,
        processes: true,
      })[0]?.text,
    ).toBe('session 0x1 (w1) expired: its 1 ephemeral node(s) went with it');
  });
});

describe('which sessions are shown', () => {
  const namespace: NamespaceReading = {
    at: 0,
    masters: [
      { id: 'm1', session: '0xa', leading: true, node: '/r/election/_c_x-latch-0000000001' },
    ],
    epoch: 2,
    workers: [{ id: 'w1', session: '0xb', registered: true, running: [] }],
    counts: { queued: 0, assigned: 0, results: 0, dead: 0 },
    ephemerals: [
      { path: '/r/election/_c_x-latch-0000000001', owner: '0xa' },
      { path: '/r/workers/w1', owner: '0xb' },
    ],
  };

  it('a restarted app: its old session, still owning the registration, belongs to a dead client', () => {
    const shown = evidenceOf(
      namespace,
      [
        { app: 'm1', session: '0xa', current: true, clientDown: null, logged: null },
        { app: 'w1', session: '0xc', current: true, clientDown: null, logged: null },
      ],
      null,
      '0xf',
    );
    expect(shown).toEqual([
      {
        id: '0xa',
        owner: 'm1',
        ephemerals: ['/r/election/_c_x-latch-0000000001'],
        clientDown: null,
        logged: null,
      },
      {
        id: '0xb',
        owner: 'w1',
        ephemerals: ['/r/workers/w1'],
        clientDown: 'client dead',
        logged: null,
      },
      { id: '0xc', owner: 'w1', ephemerals: [], clientDown: null, logged: null },
    ]);
  });

  const report = (sessionId: string, state: AppReport['state'] = 'up'): AppReport => ({
    name: 'w1',
    kind: 'worker',
    pid: 1,
    state,
    role: 'registered',
    port: 1,
    logPath: '/dev/null',
    status: { sessionId, registered: true },
  });

  it('a cut-off client that lost its session says 0x0: that is no session, and its old one is still its client cut off, not dead', () => {
    // zk-client sets the id to 0 once the session is lost, until it has a new one.
    expect(sessionOfStatus(report('0x0'))).toBeNull();
    expect(sessionOfStatus(report('0x0000000000000000'))).toBeNull();
    expect(sessionOfStatus(report('0xb'))).toBe('0xb');
    const book = new AppSessionBook();
    book.report('w1', sessionOfStatus(report('0xb')), 0);
    expect(book.report('w1', sessionOfStatus(report('0x0')), 1_000)).toBe('0xb');
    const shown = evidenceOf(
      namespace,
      book.sessions(new Map([['w1', 'client cut off']])),
      null,
      '0xf',
    );
    expect(shown.find((e) => e.id === '0xb')).toMatchObject({
      owner: 'w1',
      clientDown: 'client cut off',
    });
    expect(shown.map((e) => e.id)).toEqual(['0xa', '0xb']);
  });

  it('a SIGTERMed app closed its session: not listed as a dead client counting down while it is down, but as closed', () => {
    const book = new AppSessionBook();
    book.report('w1', '0xc', 0);
    // "terminating: closing the ZooKeeper session", then the process is gone.
    book.logEnd('w1', 'closed');
    book.report('w1', sessionOfStatus({ ...report('0xc', 'down'), status: null }), 1_000);
    const countdown = new SessionCountdown();
    const clock = { leader: '1@3', tickMs: 200 };
    const listedC = new Map([
      ['0xc', { session: '0xc', timeoutMs: 4_000, lastResponse: 1, received: 1, server: 1 }],
    ]);
    const before = evidenceOf(
      null,
      [{ app: 'w1', session: '0xc', current: true, clientDown: null, logged: null }],
      null,
      '0xf',
    );
    countdown.views(500, before, listedC, clock);
    const down = evidenceOf(null, book.sessions(new Map([['w1', 'client dead']])), null, '0xf');
    const view = countdown.views(1_000, down, new Map(), clock).find((v) => v.id === '0xc');
    expect(view).toMatchObject({ ended: 'closed', expiresBy: null, because: null });
    // Started again on a new session: the closed one is not kept as a dead client's.
    book.report('w1', '0xd', 2_000);
    expect(book.sessions(new Map([['w1', null]])).map((a) => a.session)).toEqual(['0xd']);
  });

  it('a SIGKILLed app restarted on a new session: its old one is kept as a dead client until it ends', () => {
    const book = new AppSessionBook();
    book.report('w1', '0xc', 0);
    book.report('w1', '0xd', 1_000);
    expect(book.sessions(new Map([['w1', null]]))).toEqual([
      { app: 'w1', session: '0xd', current: true, clientDown: null, logged: null },
      { app: 'w1', session: '0xc', current: false, clientDown: 'client dead', logged: null },
    ]);
  });

  it('with no layout, every listed session but the dashboard own', () => {
    const listed = new Map([
      ['0x1', {}],
      ['0xf', {}],
    ]);
    expect(evidenceOf(null, [], listed, '0xf').map((e) => e.id)).toEqual(['0x1']);
  });
});

import type { Snapshot } from '@zk-lab/dashboard';
import type { EnsembleReading, ServerReading } from '../monitor/ensemble-reading';
import { sampleOf } from './chart-sample';
import { connectionsBySession, parseCons } from './server-connections';
import { roleOf, serverViewOf } from './server-roles';
import { SessionCountdown, type ListedConnection } from './session-countdown';
import { timelineBetween } from './snapshot-timeline';
import type { NamespaceReading } from './namespace-reading';
import { evidenceOf } from './session-evidence';
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

  it('a server that refused both words says which, and is not called a follower', () => {
    const view = serverViewOf(server({ mode: null, serving: null, refused: ['srvr', 'mntr'] }), 2);
    expect(view).toMatchObject({ id: 2, role: 'not-answering', refusedWords: ['srvr', 'mntr'] });
    expect(view.error).toContain('whitelist');
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
  const evidence = (clientDown: string | null = null) => [
    { id: '0x1', owner: 'w1', ephemerals: ['/r/workers/w1'], clientDown },
  ];

  it('a client whose server answer has not moved for half its timeout is silent, and expires one timeout after it was last heard', () => {
    const countdown = new SessionCountdown();
    expect(countdown.views(1_000, evidence(), listed())[0]).toMatchObject({
      connected: true,
      server: 2,
      expiresBy: null,
    });
    expect(countdown.views(2_000, evidence(), listed({ lastResponse: 900 }))[0]!.connected).toBe(
      true,
    );
    // the same last answer for 2 s (of a 4 s timeout): not yet silent
    expect(countdown.views(4_000, evidence(), listed({ lastResponse: 900 }))[0]!.connected).toBe(
      true,
    );
    expect(countdown.views(4_500, evidence(), listed({ lastResponse: 900 }))[0]).toMatchObject({
      connected: false,
      because: 'client silent',
      expiresBy: 6_000,
    });
  });

  it('the lab saying the client is paused wins over a connection the server still holds', () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, evidence(), listed());
    expect(countdown.views(1_500, evidence('client paused'), listed())[0]).toMatchObject({
      connected: false,
      because: 'client paused',
      expiresBy: 5_000,
    });
  });

  it('not listed by any server: not connected, counting from when it was last heard', () => {
    const countdown = new SessionCountdown();
    countdown.views(1_000, evidence(), listed());
    expect(countdown.views(2_000, evidence(), new Map())[0]).toMatchObject({
      connected: false,
      expiresBy: 5_000,
      timeoutMs: 4_000,
    });
  });

  it('without cons it says nothing more than the ephemerals', () => {
    expect(new SessionCountdown().views(1_000, evidence(), null)[0]).toEqual({
      id: '0x1',
      owner: 'w1',
      server: null,
      timeoutMs: null,
      ephemerals: ['/r/workers/w1'],
      connected: true,
      expiresBy: null,
      because: null,
    });
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
        { app: 'm1', session: '0xa', clientDown: null },
        { app: 'w1', session: '0xc', clientDown: null },
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
      },
      { id: '0xb', owner: 'w1', ephemerals: ['/r/workers/w1'], clientDown: 'client dead' },
      { id: '0xc', owner: 'w1', ephemerals: [], clientDown: null },
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

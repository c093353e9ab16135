import type { AppReport } from '../app-status';
import { ACTIONS } from '../chaos/actions';
import { actionInfos, groupOf } from './action-catalog';
import { meaningOfLogLine, worstSignal } from './app-log-timeline';
import {
  appCutOff,
  appViewOf,
  clientDownOf,
  serverFlagsOf,
  sessionOfStatus,
} from './lab-app-views';
import { parseWchp, WatchFanoutTracker } from './watch-fanout';

const pino = (level: number, msg: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ level, time: 1_000, msg, ...fields });

describe("the timeline from the apps' logs", () => {
  it('elections, joins, session states and config versions become lines of their kind', () => {
    const cases: [Parameters<typeof meaningOfLogLine>[0], string, string][] = [
      ['master', pino(30, 'elected leader (master m1)'), 'election'],
      ['master', pino(30, 'worker w1 joined'), 'join'],
      ['master', pino(30, 'worker w1 left'), 'loss'],
      ['worker', pino(40, 'ZooKeeper session SUSPENDED'), 'session'],
      ['worker', pino(30, 'config version 3 applied'), 'config'],
      ['worker', pino(40, 'task handed back', { reason: 'session lost' }), 'requeue'],
      ['worker', pino(50, 'job failed badly'), 'error'],
    ];
    for (const [kind, line, expected] of cases) {
      expect([line, meaningOfLogLine(kind, 'x1', line).event?.kind]).toEqual([line, expected]);
    }
    expect(meaningOfLogLine('master', 'm1', pino(30, 'round done')).event).toBeNull();
  });

  it("a master's requeue is counted though the digest leaves it out", () => {
    const meaning = meaningOfLogLine(
      'master',
      'm1',
      pino(30, 'task requeued', { jobKey: 'job-0000000001' }),
    );
    expect(meaning).toMatchObject({ requeued: true, event: null });
  });

  it('what a client saw: SUSPENDED is a ConnectionLoss, LOST an expired session, and the worst wins', () => {
    expect(meaningOfLogLine('worker', 'w1', pino(40, 'ZooKeeper session SUSPENDED')).signal).toBe(
      'ConnectionLoss',
    );
    expect(meaningOfLogLine('worker', 'w1', pino(40, 'ZooKeeper session LOST')).signal).toBe(
      'SessionExpired',
    );
    expect(
      meaningOfLogLine('worker', 'w1', pino(30, 'ZooKeeper session CONNECTED')).signal,
    ).toBeNull();
    expect(worstSignal(['ConnectionLoss', 'SessionExpired'])).toBe('SessionExpired');
    expect(worstSignal([])).toBe('nothing');
  });
});

describe('the action catalog', () => {
  it('puts every action of lab chaos in the group of what it breaks', () => {
    expect(actionInfos(ACTIONS)).toHaveLength(ACTIONS.length);
    expect(
      Object.fromEntries(
        [
          'leader-kill',
          'follower-pause',
          'worker-partition',
          'producer-term',
          'zk-leader-isolate',
          'quorum-loss',
          'config-invalid',
          'epoch-write',
          'registration-delete',
        ].map((k) => [k, groupOf(k)]),
      ),
    ).toEqual({
      'leader-kill': 'master',
      'follower-pause': 'master',
      'worker-partition': 'worker',
      'producer-term': 'producer',
      'zk-leader-isolate': 'zookeeper',
      'quorum-loss': 'zookeeper',
      'config-invalid': 'config',
      'epoch-write': 'namespace',
      'registration-delete': 'namespace',
    });
  });
});

describe("the lab's apps and links", () => {
  const link = (name: string, kind: 'pass' | 'partition') => ({ name, mode: { kind } as const });
  const report = (over: Partial<AppReport>): AppReport => ({
    name: 'm1',
    kind: 'master',
    pid: 1,
    state: 'up',
    role: 'leader (epoch 3)',
    port: 1,
    logPath: '/dev/null',
    status: { state: 'leader', epoch: 3, session: { id: '0xabc', state: 'CONNECTED' } },
    ...over,
  });

  it('an app is cut off when all its links are partitioned (not another app whose name starts the same)', () => {
    const links = [
      link('m1-zk1', 'partition'),
      link('m1-zk2', 'partition'),
      link('m10-zk1', 'pass'),
    ];
    expect(appCutOff(links, 'm1')).toBe(true);
    expect(appCutOff(links, 'm10')).toBe(false);
    expect(appCutOff([link('m1-zk1', 'partition'), link('m1-zk2', 'pass')], 'm1')).toBe(false);
  });

  it('a server is cut off when cut from more than half its peers: isolating zk1 marks zk1 alone', () => {
    const isolated = ['zk1-zk2', 'zk2-zk1', 'zk1-zk3', 'zk3-zk1'].flatMap((p) => [
      link(`${p}:quorum`, 'partition'),
      link(`${p}:election`, 'partition'),
    ]);
    const flags = serverFlagsOf(isolated, [1, 2, 3], (id) => id === 3);
    expect([...flags]).toEqual([
      [1, { partitioned: true, paused: false }],
      [2, { partitioned: false, paused: false }],
      [3, { partitioned: false, paused: true }],
    ]);
  });

  it('a master and a worker name their sessions differently; both are read', () => {
    expect(sessionOfStatus(report({}))).toBe('0xabc');
    expect(
      sessionOfStatus(report({ kind: 'worker', status: { sessionId: '0xdef', registered: true } })),
    ).toBe('0xdef');
    expect(sessionOfStatus(report({ status: null }))).toBeNull();
  });

  it('why a client cannot be talking: dead, paused, cut off', () => {
    expect(clientDownOf(report({ state: 'down' }), false)).toBe('client dead');
    expect(clientDownOf(report({ state: 'paused' }), false)).toBe('client paused');
    expect(clientDownOf(report({}), true)).toBe('client cut off');
    expect(clientDownOf(report({ state: 'unresponsive' }), false)).toBeNull();
  });

  it("an app view from a leader's and a worker's /status", () => {
    expect(appViewOf(report({}), false, '0xabc')).toMatchObject({
      leading: true,
      epoch: 3,
      process: 'up',
      session: '0xabc',
    });
    const worker = appViewOf(
      report({
        name: 'w1',
        kind: 'worker',
        role: 'registered, 1/4 running',
        status: { registered: true, running: ['job-0000000001'] },
      }),
      true,
      null,
    );
    expect(worker).toMatchObject({
      registered: true,
      running: ['job-0000000001'],
      partitioned: true,
      role: 'registered, 1/4 running, cut off',
    });
  });
});

describe('watch fan-out (wchp)', () => {
  const wchp = [
    '/r/election/_c_1-latch-0000000001',
    '\t0x1a',
    '\t0x1b',
    '/other/x',
    '\t0x1c',
    '',
  ].join('\n');

  it('reads each path with the sessions that watch it', () => {
    expect([...parseWchp(wchp)]).toEqual([
      ['/r/election/_c_1-latch-0000000001', ['0x1a', '0x1b']],
      ['/other/x', ['0x1c']],
    ]);
  });

  it('tells the paths under the root whose watchers changed, and a path no longer watched', () => {
    const tracker = new WatchFanoutTracker('/r');
    const first = tracker.changes(1, [{ server: 2, byPath: parseWchp(wchp) }]);
    expect(first).toEqual([
      {
        time: 1,
        path: '/r/election/_c_1-latch-0000000001',
        watchers: [
          { session: '0x1a', server: 2 },
          { session: '0x1b', server: 2 },
        ],
      },
    ]);
    expect(tracker.changes(2, [{ server: 2, byPath: parseWchp(wchp) }])).toEqual([]);
    expect(tracker.changes(3, [{ server: 2, byPath: new Map() }])).toEqual([
      { time: 3, path: '/r/election/_c_1-latch-0000000001', watchers: [] },
    ]);
  });
});

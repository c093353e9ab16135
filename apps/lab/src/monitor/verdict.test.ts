import type { EnsembleReading, ServerReading } from './ensemble-reading';
import { ratesBetween } from './rates';
import { assess, DEFAULT_THRESHOLDS } from './thresholds';

function server(port: number, fields: Partial<ServerReading> = {}): ServerReading {
  return {
    server: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    state: 'up',
    serving: true,
    mode: 'follower',
    zxid: { hex: '0x100000010', epoch: 1, counter: 16 },
    latency: { min: 0, avg: 1, max: 5 },
    received: 100,
    sent: 100,
    outstanding: 0,
    connections: 1,
    watches: 0,
    ephemerals: 0,
    znodes: 5,
    dataSize: 182,
    openFileDescriptors: 45,
    maxFileDescriptors: 20000,
    version: '3.8.0',
    refused: [],
    error: null,
    ...fields,
  };
}

function reading(servers: ServerReading[], at = 0): EnsembleReading {
  const leader = servers.find((s) => s.mode === 'leader')?.server ?? null;
  return { at, servers, leader };
}

const healthy = () => [server(1, { mode: 'leader' }), server(2), server(3)];

describe('the verdict on a reading', () => {
  it('a leader and every server serving is ok', () => {
    expect(assess(reading(healthy()), DEFAULT_THRESHOLDS)).toMatchObject({
      status: 'ok',
      problems: [],
      allowLine: null,
    });
  });

  it('one server down is a warning; two of three down is critical (quorum lost)', () => {
    const [leader, a, b] = healthy();
    const oneDown = assess(
      reading([leader!, a!, { ...b!, state: 'down', serving: null, mode: null }]),
      DEFAULT_THRESHOLDS,
    );
    expect(oneDown.status).toBe('warning');
    expect(oneDown.problems.map((p) => p.message)).toEqual(['127.0.0.1:3: down (no answer)']);
    const outOfQuorum = { ...leader!, serving: false, mode: null };
    const twoDown = assess(
      reading([outOfQuorum, { ...a!, state: 'down' }, { ...b!, state: 'not-answering' }]),
      DEFAULT_THRESHOLDS,
    );
    expect(twoDown.status).toBe('critical');
    expect(twoDown.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'no leader: no server leads',
        'quorum lost: 3 of 3 servers do not serve',
        '127.0.0.1:1: out of quorum: not currently serving requests',
      ]),
    );
  });

  it('latency and outstanding requests over the thresholds warn, then are critical', () => {
    const over = (avg: number, outstanding: number) =>
      assess(
        reading([server(1, { mode: 'leader', latency: { min: 0, avg, max: avg }, outstanding })]),
        { warnLatencyMs: 10, critLatencyMs: 50, warnOutstanding: 5, critOutstanding: 20 },
      );
    expect(over(10, 5).status).toBe('ok');
    expect(over(11, 0).status).toBe('warning');
    expect(over(0, 6).status).toBe('warning');
    expect(over(51, 0).status).toBe('critical');
    expect(over(0, 21).status).toBe('critical');
  });

  it('a refused word warns and gives the config line that allows it', () => {
    const verdict = assess(
      reading([server(1, { mode: 'leader', refused: ['mntr'] })]),
      DEFAULT_THRESHOLDS,
    );
    expect(verdict.status).toBe('warning');
    expect(verdict.allowLine).toBe('4lw.commands.whitelist=srvr, mntr');
    expect(verdict.problems[0]!.message).toContain('refuses mntr');
  });
});

describe('rates between two readings', () => {
  it('are the growth of the counters per second', () => {
    const before = reading(healthy(), 0);
    const after = reading(
      [
        server(1, {
          mode: 'leader',
          received: 150,
          sent: 130,
          zxid: { hex: '0x100000024', epoch: 1, counter: 36 },
        }),
        server(2),
        server(3),
      ],
      2_000,
    );
    const rates = ratesBetween(before, after)!;
    expect(rates.servers.get('127.0.0.1:1')).toEqual({
      receivedPerSecond: 25,
      sentPerSecond: 15,
      writesPerSecond: 10,
    });
    expect(rates.writesPerSecond).toBe(10);
  });

  it('are unknown on the first reading, after a restart (counters fell) or a new epoch', () => {
    const before = reading(healthy(), 0);
    expect(ratesBetween(null, before)).toBeNull();
    const after = reading(
      [
        server(1, { received: 3, zxid: { hex: '0x200000001', epoch: 2, counter: 1 } }),
        server(2, { state: 'down', received: null, sent: null, zxid: null }),
        server(3),
      ],
      1_000,
    );
    const rates = ratesBetween(before, after)!;
    expect(rates.servers.get('127.0.0.1:1')).toMatchObject({
      receivedPerSecond: null,
      writesPerSecond: null,
    });
    expect(rates.servers.get('127.0.0.1:2')).toEqual({
      receivedPerSecond: null,
      sentPerSecond: null,
      writesPerSecond: null,
    });
    expect(rates.writesPerSecond).toBe(0); // server 3: same epoch, no write
  });
});

import { digestLogLine, formatEvent, RepeatFilter } from './event-digest';

const pino = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time: 1_700_000_000_000, pid: 1, ...fields });

describe('the digest of the apps’ log lines', () => {
  it('keeps elections, workers joining and leaving, config versions and registrations', () => {
    const notable: ['master' | 'worker', string, string][] = [
      ['master', pino({ msg: 'elected leader (master m1)' }), 'elected leader (master m1)'],
      ['master', pino({ msg: 'following: master m2 leads' }), 'following: master m2 leads'],
      ['master', pino({ msg: 'worker w1 joined', workerId: 'w1' }), 'worker w1 joined'],
      [
        'worker',
        pino({ msg: 'config version 3 applied', diff: { workerCapacity: { from: 4, to: 2 } } }),
        'config version 3 applied (workerCapacity 4 → 2)',
      ],
      ['worker', pino({ msg: 'registered', capacity: 4 }), 'registered (capacity 4)'],
    ];
    for (const [kind, line, text] of notable) {
      expect(digestLogLine(kind, 'x1', line)).toMatchObject({ level: 'info', text });
    }
  });

  it('keeps every warning and error, with what it is about', () => {
    const line = pino({
      level: 40,
      msg: 'job failed; requeued',
      workerId: 'w1',
      jobKey: 'job-0000000007',
      reason: 'boom',
    });
    expect(digestLogLine('worker', 'x1', line)).toMatchObject({
      level: 'warn',
      text: 'job failed; requeued (job-0000000007, boom)',
    });
    const error = pino({ level: 50, msg: 'election error', err: { message: 'no auth' } });
    expect(digestLogLine('master', 'x1', error)).toMatchObject({
      level: 'error',
      text: 'election error (no auth)',
    });
  });

  it('drops the routine: jobs started and done, HTTP routes, debug lines, progress bars', () => {
    expect(
      digestLogLine('worker', 'x1', pino({ msg: 'job succeeded', jobKey: 'job-1' })),
    ).toBeNull();
    expect(digestLogLine('master', 'x1', pino({ msg: 'Mapped {/status, GET} route' }))).toBeNull();
    expect(digestLogLine('master', 'x1', pino({ level: 20, msg: 'elected leader' }))).toBeNull();
    expect(digestLogLine('producer', 'x1', 'progress: 4/6 enqueued (2 jobs/s, 2.0 s)')).toBeNull();
  });

  it('shows what is not pino: the producer’s report, a crash’s stack', () => {
    expect(digestLogLine('producer', 'x1', 'enqueued 6 sleep jobs in 2.51 s')).toMatchObject({
      level: 'info',
    });
    expect(digestLogLine('master', 'x1', 'Error: out of memory')).toMatchObject({ level: 'error' });
  });

  it('formats one line: time, name column, level, text', () => {
    const line = formatEvent(new Date(2024, 0, 1, 12, 0, 1).getTime(), 'm1', 8, {
      level: 'warn',
      text: 'ZooKeeper session SUSPENDED',
    });
    expect(line).toBe('12:00:01 m1        warn: ZooKeeper session SUSPENDED');
  });

  it('calls job-level warnings of any worker the same, and other warnings only from the same app', () => {
    const job = pino({ level: 40, msg: 'job failed; requeued', jobKey: 'job-0000000001' });
    expect(digestLogLine('worker', 'w1', job)?.key).toBe(digestLogLine('worker', 'w2', job)?.key);
    const session = pino({ level: 40, msg: 'ZooKeeper session SUSPENDED' });
    expect(digestLogLine('worker', 'w1', session)?.key).not.toBe(
      digestLogLine('worker', 'w2', session)?.key,
    );
  });

  it('holds back a warning repeated within 10 s, and counts it', () => {
    const filter = new RepeatFilter(10_000);
    const warn = (time: number) => ({ time, level: 'warn' as const, text: 'x', key: 'worker:x' });
    expect(filter.admit(warn(0))).toBe(true);
    expect(filter.admit(warn(5_000))).toBe(false);
    expect(filter.admit(warn(9_000))).toBe(false);
    expect(filter.admit(warn(10_500))).toBe(true);
    expect(filter.takeHeld()).toBe(2);
    expect(filter.takeHeld()).toBe(0);
  });
});

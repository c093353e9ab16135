import { createJobHandlers, type JobHandler } from './job-handlers';
import { JobRunner } from './job-runner';

const never = new AbortController().signal;

describe('JobRunner: each job type, under a timeout', () => {
  const runner = new JobRunner();

  it('echo returns its payload as the output', async () => {
    const payload = { text: 'hello', n: [1, 2, 3] };
    expect(await runner.run('echo', payload, 1_000, never)).toEqual({
      kind: 'succeeded',
      output: payload,
    });
  });

  it('sleep waits its ms, then succeeds', async () => {
    expect(await runner.run('sleep', { ms: 20 }, 5_000, never)).toEqual({
      kind: 'succeeded',
      output: { slept: 20 },
    });
  });

  it('fail fails with its message, or a default one', async () => {
    expect(await runner.run('fail', { message: 'boom' }, 1_000, never)).toEqual({
      kind: 'failed',
      reason: 'boom',
    });
    expect(await runner.run('fail', {}, 1_000, never)).toEqual({
      kind: 'failed',
      reason: 'fail job always fails',
    });
  });

  it('flaky fails when the dice fall under its failure rate, else succeeds', async () => {
    const unlucky = new JobRunner(createJobHandlers({ random: () => 0.1 }));
    const lucky = new JobRunner(createJobHandlers({ random: () => 0.9 }));
    const payload = { failureRate: 0.5, ms: 5 };
    expect(await unlucky.run('flaky', payload, 1_000, never)).toMatchObject({ kind: 'failed' });
    expect(await lucky.run('flaky', payload, 1_000, never)).toEqual({
      kind: 'succeeded',
      output: { ok: true },
    });
  });

  it('a payload that does not fit the type is a failed attempt that says why', async () => {
    const outcome = await runner.run('sleep', { ms: 'long' }, 1_000, never);
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.reason).toMatch(/^invalid sleep payload: /);
  });

  it('cpu keeps the core busy in slices, so timers still run meanwhile', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      const outcome = await runner.run('cpu', { ms: 200 }, 5_000, never);
      expect(outcome).toMatchObject({ kind: 'succeeded', output: { busyMs: 200 } });
    } finally {
      clearInterval(ticker);
    }
    // A loop that never yielded would let no timer fire before it ended.
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('a job past its timeout is abandoned: timed out, its handler aborted', async () => {
    let handlerSignal: AbortSignal | undefined;
    const hangs: JobHandler = (_payload, signal) => {
      handlerSignal = signal;
      return new Promise(() => undefined); // never settles, ignores the signal
    };
    const hanging = new JobRunner({ ...createJobHandlers(), sleep: hangs });
    const outcome = await hanging.run('sleep', { ms: 60_000 }, 50, never);
    expect(outcome).toEqual({ kind: 'timed_out', reason: 'timed out after 50 ms' });
    expect(handlerSignal?.aborted).toBe(true);
  });

  it('a sleep past its timeout stops sleeping', async () => {
    expect(await runner.run('sleep', { ms: 60_000 }, 30, never)).toEqual({
      kind: 'timed_out',
      reason: 'timed out after 30 ms',
    });
  });

  it('a cpu job past its timeout stops spinning', async () => {
    const real = createJobHandlers();
    let spinning: Promise<unknown> | undefined;
    const watched = new JobRunner({
      ...real,
      cpu: (payload, signal) => (spinning = real.cpu(payload, signal)),
    });
    const outcome = await watched.run('cpu', { ms: 60_000 }, 50, never);
    expect(outcome).toEqual({ kind: 'timed_out', reason: 'timed out after 50 ms' });
    await expect(spinning).rejects.toThrow(/timed out after 50 ms/);
  });

  it('an abandoned job (session lost, shutdown) ends at once, as abandoned', async () => {
    const abandon = new AbortController();
    const running = runner.run('sleep', { ms: 60_000 }, 120_000, abandon.signal);
    abandon.abort(new Error('the session was lost'));
    expect(await running).toEqual({ kind: 'abandoned', reason: 'the session was lost' });
  });
});

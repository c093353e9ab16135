import { tmpdir } from 'node:os';
import type { BackgroundStep, CommandStep, WaitStep } from './lesson-parse';
import { directCommand, StepRunner, unmet } from './step-runner';

const SCRIPTS = {
  zk: 'node apps/shell/dist/main.js',
  lab: 'node apps/lab/dist/main.js up',
  say: 'echo said',
};

const command = (text: string, more: Partial<CommandStep> = {}): CommandStep => ({
  kind: 'command',
  number: 1,
  line: 1,
  command: text,
  exitCode: 0,
  retryMs: 0,
  timeoutMs: 10_000,
  expect: [],
  ...more,
});
const expectations = (...sources: string[]) =>
  sources.map((s) => ({
    pattern: new RegExp(s.replace(/^!/, ''), 'm'),
    absent: s.startsWith('!'),
  }));

describe('npm run NAME in a step', () => {
  it("runs the script's own command with the arguments after --", () => {
    expect(directCommand('npm run zk -- ls -l /', SCRIPTS)).toBe(
      'node apps/shell/dist/main.js ls -l /',
    );
    expect(directCommand('npm run lab', SCRIPTS)).toBe('node apps/lab/dist/main.js up');
    expect(directCommand("npm run zk <<'EOF'\nls /\nEOF", SCRIPTS)).toBe(
      "node apps/shell/dist/main.js <<'EOF'\nls /\nEOF",
    );
    expect(directCommand('true && npm run say -- x | cat', SCRIPTS)).toBe(
      'true && echo said x | cat',
    );
  });

  it('leaves a name that is no script, and npm run inside a word, alone', () => {
    expect(directCommand('npm run nothing -- x', SCRIPTS)).toBe('npm run nothing -- x');
    expect(directCommand('echo "xnpm run zk"', SCRIPTS)).toBe('echo "xnpm run zk"');
  });
});

describe('what a step must show', () => {
  it('names each unmet expectation, with colours taken out first', () => {
    expect(
      unmet('\u001b[32mleader\u001b[39m (epoch 3)\n', expectations('^leader \\(epoch \\d+\\)$')),
    ).toEqual([]);
    expect(unmet('follower\nerror: x\n', expectations('leader', '!error'))).toEqual([
      'does not show /leader/',
      'shows /error/',
    ]);
  });
});

describe('a step runner', () => {
  const runner = new StepRunner({
    cwd: tmpdir(),
    env: process.env,
    scripts: SCRIPTS,
    retryEveryMs: 50,
  });
  afterAll(() => runner.stopAll(2_000));

  it('runs a command through bash and checks its exit code and output', async () => {
    const ok = await runner.run(
      command('echo one; echo two >&2', { expect: expectations('^one$', '^two$') }),
    );
    expect(ok).toMatchObject({ ok: true, exitCode: 0, problems: [] });
    const bad = await runner.run(command('echo one; exit 3', { expect: expectations('three') }));
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual(['exited with 3, not 0', 'does not show /three/']);
    expect((await runner.run(command('exit 3', { exitCode: 3 }))).ok).toBe(true);
    expect((await runner.run(command('exit 3', { exitCode: null }))).ok).toBe(true);
  });

  it('runs a retried command again until it matches', async () => {
    const file = `${tmpdir()}/zk-lab-step-runner-${process.pid}`;
    const result = await runner.run(
      command(
        `n=$(cat ${file} 2>/dev/null || echo 0); echo $((n+1)) > ${file}; echo "try $((n+1))"`,
        {
          retryMs: 5_000,
          expect: expectations('^try 3$'),
        },
      ),
    );
    expect(result).toMatchObject({ ok: true, attempts: 3, output: 'try 3\n' });
    await runner.run(command(`rm -f ${file}`));
  });

  it('gives up on a retried command when its time is out, with the last output', async () => {
    const result = await runner.run(
      command('echo never', { retryMs: 200, expect: expectations('ever after') }),
    );
    expect(result.ok).toBe(false);
    expect(result.attempts).toBeGreaterThan(1);
    expect(result.problems).toEqual(['does not show /ever after/']);
  });

  it('kills a command that outlives its timeout', async () => {
    const result = await runner.run(command('sleep 30', { timeoutMs: 300 }));
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toBe('did not finish within 0.3 s');
  });

  it('keeps a background command running, matches its output as it comes, and starts it once', async () => {
    const background: BackgroundStep = {
      kind: 'background',
      number: 1,
      line: 1,
      id: 'ticker',
      command: 'echo ready; while true; do sleep 0.05; echo tick; done',
      timeoutMs: 5_000,
      expect: expectations('^ready$'),
    };
    expect(await runner.run(background)).toMatchObject({ ok: true, reused: false });
    expect(await runner.run({ ...background, id: 'again' })).toMatchObject({
      ok: true,
      reused: true,
    });
    const wait: WaitStep = {
      kind: 'wait',
      number: 2,
      line: 2,
      id: 'again',
      timeoutMs: 5_000,
      expect: expectations('tick'),
    };
    expect((await runner.run(wait)).ok).toBe(true);
    const never: WaitStep = { ...wait, timeoutMs: 200, expect: expectations('tock') };
    expect((await runner.run(never)).problems).toEqual([
      'does not show /tock/',
      'not within 0.2 s',
    ]);
    await runner.stopAll(2_000);
    expect((await runner.run(wait)).problems).toEqual(['background step again was not started']);
  });

  it('says so when a background command exits before it shows what it must', async () => {
    const result = await runner.run({
      kind: 'background',
      number: 1,
      line: 1,
      id: 'quitter',
      command: 'echo bye',
      timeoutMs: 5_000,
      expect: expectations('hello'),
    });
    expect(result.problems).toEqual(['does not show /hello/', 'it exited']);
  });
});

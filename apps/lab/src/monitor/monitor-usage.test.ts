import { monitor } from './__tests__/monitor-process';

describe('lab monitor: usage', () => {
  it('--help states every flag, the thresholds and the exit codes; exit 0', async () => {
    const { code, stdout } = await monitor(['--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--connect',
      '--state',
      '--watch',
      '--count',
      '--json',
      '--prometheus',
      '--timeout',
      '--warn-latency',
      '--crit-latency',
      '--warn-outstanding',
      '--crit-outstanding',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toMatch(/^ {2}0 ok$/m);
    expect(stdout).toMatch(/^ {2}1 warning /m);
    expect(stdout).toMatch(/^ {2}2 critical /m);
    expect(stdout).toMatch(/^ {2}3 unknown +bad usage/m);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [
      ['--connect', '127.0.0.1:1', '--json', '--prometheus'],
      /--json and --prometheus exclude each other/,
    ],
    [['--connect', '127.0.0.1:1', '--watch', '0'], /--watch: /],
    [['--connect', '127.0.0.1:1', '--count', '2'], /--count goes with --watch/],
    [['--connect', 'nohostport'], /bad connect string/],
    [['--connect', '127.0.0.1:1', '--crit-latency', 'x'], /--crit-latency: /],
  ])(
    'lab monitor %j is bad usage: one line, exit 3 (unknown), nothing on stdout',
    async (args, message) => {
      const { code, stdout, stderr } = await monitor(args);
      expect(code).toBe(3);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    },
  );
});

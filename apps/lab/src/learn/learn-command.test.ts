import { learnCli, parseLearnArgs, renderProse } from './learn-command';
import { loadLessons } from './lesson-files';

const capture = () => {
  const lines = { out: [] as string[], err: [] as string[] };
  return {
    lines,
    io: { out: (t: string) => lines.out.push(t), err: (t: string) => lines.err.push(t) },
  };
};

describe('lab learn: its command line', () => {
  it('takes one lesson number, or a file, and the switches', () => {
    expect(parseLearnArgs(['3', '--check'])).toEqual({
      lesson: 3,
      file: undefined,
      yes: false,
      check: true,
      list: false,
    });
    expect(parseLearnArgs(['--file', 'x.md', '-y'])).toMatchObject({ file: 'x.md', yes: true });
    expect(parseLearnArgs(['--help'])).toBe('help');
  });

  it.each([
    [
      ['three'],
      'lab learn: "three" is not a lesson number (lab learn --list shows them) (see lab learn --help)',
    ],
    [['1', '2'], 'lab learn: one lesson at a time, not 1 2 (see lab learn --help)'],
    [
      ['1', '--file', 'x.md'],
      'lab learn: a lesson number or --file, not both (see lab learn --help)',
    ],
    [['--fast'], 'lab learn: unknown option --fast (see lab learn --help)'],
  ])('refuses %j with one line and exit code 2', async (argv, message) => {
    const { lines, io } = capture();
    expect(await learnCli(argv, io)).toBe(2);
    expect(lines.err).toEqual([message]);
  });

  it('says which lessons there are when asked for one that is not', async () => {
    const { lines, io } = capture();
    expect(await learnCli(['99'], io)).toBe(2);
    expect(lines.err).toEqual([
      `lab learn: no lesson 99: there are lessons 1 to ${loadLessons().length} (lab learn --list)`,
    ]);
  });

  it('lists the lessons in order, and where to start', async () => {
    const { lines, io } = capture();
    expect(await learnCli([], io)).toBe(0);
    expect(lines.out[1]).toMatch(/^ {3}1 {2}Why coordination is hard {2}\(\d+ steps\)$/);
    expect(lines.out.at(-1)).toBe('Start with: npm run lab:cli -- learn 1');
  });
});

describe("a lesson's text in a terminal", () => {
  it('drops the comments and fences, keeps the words, spells out links', () => {
    const text =
      '## Run it\n\nSee **this** and `that`, [the docs](README.md).\n<!-- expect: x -->\n```text\nout\n```';
    expect(renderProse(text)).toBe('Run it\n\nSee this and that, the docs (README.md).\n\n    out');
  });
});

import { LessonFormatError, parseDuration, parseLesson } from './lesson-parse';

const lesson = (body: string, file = 'docs/lessons/03-data-model.md') =>
  parseLesson(`# 3. The data model\n\n${body}`, file);

describe('a lesson file', () => {
  it('has its number and slug from the file name and its title from the first heading', () => {
    const parsed = lesson('## Run it\n\n```sh\necho hi\n```\n');
    expect(parsed).toMatchObject({ number: 3, slug: 'data-model', title: 'The data model' });
    expect(parsed.sections).toEqual(['Run it']);
  });

  it('makes each sh block a step and takes the expectations written under it', () => {
    const parsed = lesson(
      [
        '```sh',
        'npm run zk -- ls /',
        '```',
        '',
        'Some prose about it.',
        '',
        '```text',
        'zookeeper',
        '```',
        '',
        '<!-- expect: ^zookeeper$ -->',
        '<!-- expect-not: error -->',
        '',
        '```sh retry=30s exit=any timeout=2m',
        'npm run lab:cli -- status',
        '```',
      ].join('\n'),
    );
    expect(parsed.steps).toHaveLength(2);
    const [ls, status] = parsed.steps;
    expect(ls).toMatchObject({
      kind: 'command',
      command: 'npm run zk -- ls /',
      exitCode: 0,
      line: 3,
    });
    expect(ls!.expect.map((e) => [e.pattern.source, e.absent])).toEqual([
      ['^zookeeper$', false],
      ['error', true],
    ]);
    expect(status).toMatchObject({ retryMs: 30_000, exitCode: null, timeoutMs: 120_000 });
    // The text block is shown with the prose, never run.
    expect(
      parsed.blocks
        .filter((b) => b.kind === 'prose')
        .map((b) => b.kind === 'prose' && b.text)
        .join(''),
    ).toContain('zookeeper');
  });

  it('has background steps named by id and wait steps on them', () => {
    const parsed = lesson(
      '```sh background id=watcher\nnpm run zk -- watch /a\n```\n\n<!-- wait watcher: NodeCreated -->\n',
    );
    expect(parsed.steps.map((s) => s.kind)).toEqual(['background', 'wait']);
    expect(parsed.steps[1]).toMatchObject({ id: 'watcher' });
  });

  it.each([
    ['an unknown option', '```sh fast\necho\n```', /:3: unknown option "fast"/],
    ['a bad duration', '```sh retry=soon\necho\n```', /retry=soon: expected 30s/],
    [
      'an expectation before any step',
      '<!-- expect: x -->',
      /:3: "expect" must follow a sh code block/,
    ],
    [
      'an expectation after a heading',
      '```sh\necho\n```\n## Next\n<!-- expect: x -->',
      /must follow/,
    ],
    [
      'a regex that does not compile',
      '```sh\necho\n```\n<!-- expect: ( -->',
      /:6: Invalid regular expression/,
    ],
    ['a wait on no background step', '<!-- wait nobody: x -->', /no background step has id=nobody/],
    ['a code block never closed', '```sh\necho', /a code block is never closed/],
    ['an id on a foreground step', '```sh id=x\necho\n```', /id= names a background step only/],
  ])('names the file and line of %s', (_, body, message) => {
    expect(() => lesson(body)).toThrow(LessonFormatError);
    expect(() => lesson(body)).toThrow(message);
  });

  it('is named NN-slug.md and starts with a title', () => {
    expect(() => parseLesson('# x\n', 'lesson.md')).toThrow(/named NN-slug.md/);
    expect(() => parseLesson('no title\n', '01-a.md')).toThrow(/starts with a "# Title"/);
  });

  it('reads durations in ms, s and m', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('2m')]).toEqual([
      500, 30_000, 120_000,
    ]);
    expect(parseDuration('30')).toBeNull();
  });
});

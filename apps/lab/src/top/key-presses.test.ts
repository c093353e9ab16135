import { splitKeys } from './key-presses';

const names = (input: string) =>
  splitKeys(input).map((key) =>
    key.enter
      ? 'Enter'
      : key.escape
        ? 'Esc'
        : key.backspace
          ? 'BS'
          : key.up
            ? 'Up'
            : key.down
              ? 'Down'
              : key.pageDown
                ? 'PgDn'
                : key.input,
  );

describe('splitKeys: keys that came as one string', () => {
  it('splits letters typed faster than a frame', () => {
    expect(names('jl')).toEqual(['j', 'l']);
  });

  it('finds the Enter behind a filter typed at once (what CI sent)', () => {
    expect(names('/before-2\r')).toEqual(['/', 'b', 'e', 'f', 'o', 'r', 'e', '-', '2', 'Enter']);
  });

  it('reads arrows, page keys, Escape and Backspace among letters', () => {
    expect(names('j\x1b[Bk\x1b[A\x1b[6~x\x7f\x1b')).toEqual([
      'j',
      'Down',
      'k',
      'Up',
      'PgDn',
      'x',
      'BS',
      'Esc',
    ]);
  });
});

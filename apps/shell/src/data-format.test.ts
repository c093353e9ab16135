import { chooseEncoding, dataAsJson, formatData, hexDump } from './data-format';
import { errorLine, exitCodeOf, RefusedError, UsageError } from './shell-errors';
import { NoNodeError, BadVersionError, ConnectionLossError } from '@zk-lab/zk-client';

describe('data shown by its content', () => {
  it('pretty-prints a JSON object or array', () => {
    const data = Buffer.from('{"a":1,"b":[true]}');
    expect(chooseEncoding(data)).toBe('json');
    expect(formatData(data, 'json')).toBe('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}');
    expect(dataAsJson(data, 'json')).toEqual({ a: 1, b: [true] });
  });

  it('shows text as text, a bare JSON number or word included', () => {
    expect(chooseEncoding(Buffer.from('hello\nworld\t!'))).toBe('utf8');
    expect(chooseEncoding(Buffer.from('42'))).toBe('utf8');
    expect(chooseEncoding(Buffer.from('héllo ✓'))).toBe('utf8');
    expect(chooseEncoding(Buffer.from('{not json'))).toBe('utf8');
  });

  it('dumps bytes that are not UTF-8, or hold control characters, as hex', () => {
    expect(chooseEncoding(Buffer.from([0xff, 0xfe, 0x00]))).toBe('hex');
    expect(chooseEncoding(Buffer.from('a\u0000b'))).toBe('hex');
    expect(hexDump(Buffer.from('0123456789abcdefXY\u0001'))).toBe(
      '00000000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n' +
        '00000010: 5859 01                                  XY.',
    );
    expect(dataAsJson(Buffer.from([1, 2]), 'hex')).toBe('0102');
  });

  it('shows empty data as empty text', () => {
    expect(chooseEncoding(Buffer.alloc(0))).toBe('utf8');
  });
});

describe('errors as one line with an exit code', () => {
  it('names the command and the path, never a stack', () => {
    expect(errorLine('ls', new NoNodeError({ op: 'getChildren', path: '/nope' }))).toBe(
      'ls: /nope: no such node',
    );
    expect(errorLine('set', new BadVersionError({ op: 'setData', path: '/a' }))).toMatch(
      /^set: \/a: version does not match/,
    );
    expect(errorLine('ls', new ConnectionLossError({}, 'ECONNREFUSED'))).toBe(
      'ls: connection loss (ECONNREFUSED)',
    );
    const unknown = new Error('first line\n    at somewhere (file.js:1:1)');
    expect(errorLine('tree', unknown)).toBe('tree: first line');
  });

  it('gives 1 for failures and refusals, 2 for usage', () => {
    expect(exitCodeOf(new NoNodeError({}))).toBe(1);
    expect(exitCodeOf(new RefusedError('/a', 'no'))).toBe(1);
    expect(exitCodeOf(new UsageError('bad'))).toBe(2);
  });
});

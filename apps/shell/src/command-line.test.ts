import { parseArgs, splitPartial, splitWords, type FlagSpec } from './command-line';
import { parseShellFlags } from './shell-options';
import { UsageError } from './shell-errors';
import { resolvePath } from './znode-paths';
import { parseAcl, aclText } from './acl-text';
import { globToRegExp } from './commands/subtree-commands';

const createFlags: FlagSpec[] = [
  { name: 'ephemeral', short: 'e', help: '' },
  { name: 'sequential', short: 's', help: '' },
  { name: 'ttl', short: 't', value: 'number', help: '' },
  { name: 'name', short: 'n', value: 'text', help: '' },
];

describe('a command line split into words', () => {
  it('keeps quoted spaces and escapes as a shell does', () => {
    expect(splitWords(`set /a 'hello world' "say \\"hi\\"" x\\ y`)).toEqual([
      'set',
      '/a',
      'hello world',
      'say "hi"',
      'x y',
    ]);
  });

  it('keeps an empty quoted word', () => {
    expect(splitWords(`set /a ''`)).toEqual(['set', '/a', '']);
  });

  it('refuses an unclosed quote as a usage error', () => {
    expect(() => splitWords(`set /a 'oops`)).toThrow(UsageError);
  });

  it('tells completion whether a new word begins', () => {
    expect(splitPartial('ls /a')).toEqual({ words: ['ls', '/a'], atNewWord: false });
    expect(splitPartial('ls ')).toEqual({ words: ['ls'], atNewWord: true });
    expect(splitPartial('')).toEqual({ words: [], atNewWord: true });
  });
});

describe("a command's flags", () => {
  it('combines short flags and takes values in every form', () => {
    const args = parseArgs('create', ['-es', '/x', '--ttl=5', 'data'], createFlags);
    expect(args.positional).toEqual(['/x', 'data']);
    expect([...args.flags]).toEqual([
      ['ephemeral', true],
      ['sequential', true],
      ['ttl', '5'],
    ]);
    expect(parseArgs('create', ['-t5', '/x'], createFlags).flags.get('ttl')).toBe('5');
    expect(parseArgs('create', ['-t', '5', '/x'], createFlags).flags.get('ttl')).toBe('5');
  });

  it('reads a negative number and everything after -- as arguments', () => {
    expect(parseArgs('set', ['/x', '-1'], createFlags).positional).toEqual(['/x', '-1']);
    expect(parseArgs('set', ['--', '/x', '-e'], createFlags).positional).toEqual(['/x', '-e']);
  });

  it('refuses unknown flags, missing values and non-numbers as usage errors', () => {
    expect(() => parseArgs('ls', ['-z'], createFlags)).toThrow('ls: unknown flag -z');
    expect(() => parseArgs('ls', ['--zz'], createFlags)).toThrow('ls: unknown flag --zz');
    expect(() => parseArgs('create', ['/x', '-t'], createFlags)).toThrow('needs a value');
    expect(() => parseArgs('create', ['-t', 'soon'], createFlags)).toThrow(UsageError);
  });
});

describe("the shell's own flags", () => {
  it('stop at the first word of the command, whose flags are its own', () => {
    const flags = parseShellFlags(['--json', '--connect', 'h:1', 'ls', '-l', '--json']);
    expect(flags).toMatchObject({ json: true, connect: 'h:1', command: ['ls', '-l', '--json'] });
  });

  it('refuse an unknown flag and a bad timeout', () => {
    expect(() => parseShellFlags(['--nope'])).toThrow(UsageError);
    expect(() => parseShellFlags(['--connect-timeout', 'soon'])).toThrow(UsageError);
  });
});

describe('paths relative to the working node', () => {
  it.each([
    ['/a/b', '../c', '/a/c'],
    ['/a/b', '.', '/a/b'],
    ['/a', '../../..', '/'],
    ['/a', 'x//y/', '/a/x/y'],
    ['/', 'x', '/x'],
    ['/a', '/b/./c/..', '/b'],
    ['/a', undefined, '/a'],
  ])('from %s, %s is %s', (cwd, path, resolved) => {
    expect(resolvePath(cwd, path)).toBe(resolved);
  });
});

describe('ACLs as text', () => {
  it('round-trips zkCli form, the id keeping its own colons', () => {
    const acl = parseAcl('world:anyone:r,digest:bob:abc=:cdrwa');
    expect(acl).toEqual([
      { perms: 1, id: { scheme: 'world', id: 'anyone' } },
      { perms: 31, id: { scheme: 'digest', id: 'bob:abc=' } },
    ]);
    expect(acl.map(aclText)).toEqual(['world:anyone:r', 'digest:bob:abc=:cdrwa']);
  });

  it('refuses unknown permission letters', () => {
    expect(() => parseAcl('world:anyone:rx')).toThrow(UsageError);
  });
});

describe('name globs', () => {
  it('match whole names with * ? and [..], and nothing else is special', () => {
    expect(globToRegExp('lock-*').test('lock-0001')).toBe(true);
    expect(globToRegExp('lock-*').test('a-lock-1')).toBe(false);
    expect(globToRegExp('n?').test('n1')).toBe(true);
    expect(globToRegExp('n[12]').test('n3')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

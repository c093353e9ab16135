import { JuteDecodeError, JuteReader, JuteWriter } from './jute';
import { readStat } from './protocol';
import { parseConnectString } from './hosts';
import { validatePath } from './paths';
import { InvalidPathError, NoNodeError, errorFromCode, UnknownZkError, ZkError } from './errors';

describe('jute', () => {
  it('round-trips every primitive, big-endian, with -1 for null', () => {
    const w = new JuteWriter(4)
      .writeInt(-2)
      .writeLong(0x0102030405060708n)
      .writeBool(true)
      .writeBuffer(Buffer.from([9, 8]))
      .writeBuffer(null)
      .writeString('héllo')
      .writeString(null)
      .writeStringVector(['a', 'bc']);
    const bytes = w.toBuffer();
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(bytes.subarray(4, 12)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));

    const r = new JuteReader(bytes);
    expect(r.readInt()).toBe(-2);
    expect(r.readLong()).toBe(0x0102030405060708n);
    expect(r.readBool()).toBe(true);
    expect(r.readBuffer()).toEqual(Buffer.from([9, 8]));
    expect(r.readNullableBuffer()).toBeNull();
    expect(r.readString()).toBe('héllo');
    expect(r.readNullableString()).toBeNull();
    expect(r.readStringVector()).toEqual(['a', 'bc']);
    expect(r.remaining).toBe(0);
  });

  it('prefixes a frame with its length', () => {
    const frame = new JuteWriter().writeInt(7).toFrame();
    expect(frame).toEqual(Buffer.from([0, 0, 0, 4, 0, 0, 0, 7]));
  });

  it('refuses to read past the end of a frame', () => {
    expect(() => new JuteReader(Buffer.from([0, 0, 0, 9, 1])).readString()).toThrow(
      JuteDecodeError,
    );
    expect(() => new JuteReader(Buffer.from([0, 0, 0x10, 0])).readStringVector()).toThrow(
      JuteDecodeError,
    );
    expect(() => readStat(new JuteReader(Buffer.alloc(60)))).toThrow(JuteDecodeError);
  });

  it('reads a Stat of 68 bytes', () => {
    const w = new JuteWriter();
    w.writeLong(1n).writeLong(2n).writeLong(3n).writeLong(4n);
    w.writeInt(5).writeInt(6).writeInt(7).writeLong(8n).writeInt(9).writeInt(10).writeLong(11n);
    const bytes = w.toBuffer();
    expect(bytes.length).toBe(68);
    expect(readStat(new JuteReader(bytes))).toEqual({
      czxid: 1n,
      mzxid: 2n,
      ctime: 3n,
      mtime: 4n,
      version: 5,
      cversion: 6,
      aversion: 7,
      ephemeralOwner: 8n,
      dataLength: 9,
      numChildren: 10,
      pzxid: 11n,
    });
  });
});

describe('paths and connect strings', () => {
  it.each(['', 'a', '/a/', '/a//b', '/a/./b', '/a/../b', '/a\u0000', '/a\u0001'])(
    'rejects %j',
    (path) => {
      expect(() => validatePath(path)).toThrow(InvalidPathError);
    },
  );

  it('accepts a trailing slash only for sequential creates', () => {
    expect(() => validatePath('/q/', { sequential: true })).not.toThrow();
    expect(() => validatePath('/')).not.toThrow();
  });

  it('parses hosts, default ports and a chroot', () => {
    expect(parseConnectString('a:1,b,[::1]:3/app/x')).toEqual({
      hosts: [
        { host: 'a', port: 1 },
        { host: 'b', port: 2181 },
        { host: '::1', port: 3 },
      ],
      chroot: '/app/x',
    });
  });
});

describe('errors', () => {
  it('maps a code to its class, keeping op and path', () => {
    const e = errorFromCode(-101, { op: 'getData', path: '/x' });
    expect(e).toBeInstanceOf(NoNodeError);
    expect(e).toBeInstanceOf(ZkError);
    expect([e.code, e.op, e.path, e.name]).toEqual([-101, 'getData', '/x', 'NoNodeError']);
    expect(errorFromCode(-999)).toBeInstanceOf(UnknownZkError);
  });
});

import {
  base64ToBytes,
  bytesToBase64,
  hexPairs,
  hexView,
  jsonView,
  parseHex,
  utf8View,
} from './data-views';
import {
  expiryText,
  formatClock,
  formatCountdown,
  formatDuration,
  formatSessionId,
  onPageClock,
} from './format';

describe('the data views', () => {
  it('shows valid UTF-8 as text and refuses bytes that are not', () => {
    expect(utf8View(new TextEncoder().encode('héllo ✓'))).toBe('héllo ✓');
    expect(utf8View(new Uint8Array([0x68, 0xff, 0x00]))).toBeNull();
  });

  it('pretty-prints JSON, and only JSON', () => {
    expect(jsonView(new TextEncoder().encode('{"a":[1,2]}'))).toBe(
      '{\n  "a": [\n    1,\n    2\n  ]\n}',
    );
    expect(jsonView(new TextEncoder().encode('not json'))).toBeNull();
    expect(jsonView(new Uint8Array([]))).toBeNull();
  });

  it('dumps the exact bytes as hex, and parses the dump back to the same bytes', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => (i * 37) % 256);
    const dump = hexView(bytes);
    expect(dump.split('\n')[0]).toBe(
      '00000000  00 25 4a 6f 94 b9 de 03 28 4d 72 97 bc e1 06 2b  .%Jo....(Mr....+',
    );
    expect(dump.split('\n')).toHaveLength(2);
    expect(parseHex('00 25 4a')).toEqual(new Uint8Array([0x00, 0x25, 0x4a]));
    expect(parseHex('0g')).toBeNull();
    expect(parseHex(hexPairs(bytes))).toEqual(bytes);
    expect(hexView(new Uint8Array([]))).toBe('');
  });

  it('round-trips bytes through base64', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
  });
});

describe('the countdown', () => {
  it('counts tenths under a minute, minutes and seconds above, and says when it is over', () => {
    expect(formatCountdown(10_000 + 4_260, 10_000)).toBe('4.2 s');
    expect(formatCountdown(95_000, 0)).toBe('1:35');
    expect(formatCountdown(1_000, 1_000)).toBe('expired');
    expect(formatCountdown(0, 1_000)).toBe('expired');
  });

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(840)).toBe('840 ms');
    expect(formatDuration(2_345)).toBe('2.35 s');
  });
});

describe('session ids and deadlines', () => {
  it('strips the leading zeros of a session id, but not its last digit', () => {
    expect(formatSessionId('0x0000018c2f3a0001')).toBe('0x18c2f3a0001');
    expect(formatSessionId('0x100a1b2c3d40000')).toBe('0x100a1b2c3d40000');
    expect(formatSessionId('0x0000000000000000')).toBe('0x0');
    expect(formatSessionId('0x0')).toBe('0x0');
  });

  it("moves a deadline of the server's clock onto the page's: a page 5 s ahead counts to 5 s later", () => {
    expect(onPageClock(20_000, 10_000, 15_000)).toBe(25_000);
    expect(onPageClock(20_000, 10_000, 10_000)).toBe(20_000);
  });

  it('says by when the session should expire, about when tickTime is unknown, then that it should have', () => {
    const at = new Date(2026, 0, 1, 12, 0, 5).getTime();
    expect(expiryText(at, at - 3_200, false)).toBe('should expire by 12:00:05 (in 3.2 s)');
    expect(expiryText(at, at - 3_200, true)).toBe('should expire by about 12:00:05 (in 3.2 s)');
    expect(expiryText(at, at, false)).toBe(`should have expired by ${formatClock(at)}`);
  });
});

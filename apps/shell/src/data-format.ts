/**
 * How a znode's bytes are shown: pretty JSON when they parse as a JSON object or array,
 * text when they are UTF-8 without control characters, a hex dump otherwise; or as asked.
 */

export type DataEncoding = 'utf8' | 'json' | 'hex';

/** The encoding the bytes read best in. */
export function chooseEncoding(data: Buffer): DataEncoding {
  if (data.length === 0) return 'utf8';
  const text = utf8Of(data);
  if (text === null) return 'hex';
  if (parsedJson(text) !== undefined) return 'json';
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? 'hex' : 'utf8';
}

/** The bytes as text in `encoding`: JSON re-indented, hex as `xxd` prints it. */
export function formatData(data: Buffer, encoding: DataEncoding): string {
  if (encoding === 'hex') return hexDump(data);
  const text = data.toString('utf8');
  if (encoding === 'json') {
    const value = parsedJson(text);
    if (value === undefined) throw new Error('the data is not JSON');
    return JSON.stringify(value, null, 2);
  }
  return text;
}

/** For `--json` output: the data as a JSON value (parsed JSON, text, or hex digits). */
export function dataAsJson(data: Buffer, encoding: DataEncoding): unknown {
  if (encoding === 'hex') return data.toString('hex');
  if (encoding === 'json') return parsedJson(data.toString('utf8'));
  return data.toString('utf8');
}

/** 16 bytes a line: offset, hex pairs, printable ASCII. */
export function hexDump(data: Buffer): string {
  const lines: string[] = [];
  for (let offset = 0; offset < data.length; offset += 16) {
    const row = data.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const pairs: string[] = [];
    for (let i = 0; i < 16; i += 2) pairs.push((hex[i] ?? '  ') + (hex[i + 1] ?? '  '));
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'));
    lines.push(`${offset.toString(16).padStart(8, '0')}: ${pairs.join(' ')}  ${ascii.join('')}`);
  }
  return lines.join('\n');
}

function utf8Of(data: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return null;
  }
}

/** The parsed value when the text is a JSON object or array; undefined otherwise. */
function parsedJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

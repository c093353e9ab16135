/**
 * Jute, ZooKeeper's record serialization: big-endian ints and longs, one-byte
 * booleans, and length-prefixed buffers, strings and vectors where length -1
 * means null.
 */

/** Thrown when a reply does not hold what its record type says it must. */
export class JuteDecodeError extends Error {
  override readonly name = 'JuteDecodeError';
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** Appends jute records to a buffer that grows as needed. */
export class JuteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  get length(): number {
    return this.len;
  }

  writeInt(value: number): this {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new RangeError(`not a 32-bit integer: ${value}`);
    }
    this.reserve(4);
    this.buf.writeInt32BE(value, this.len);
    this.len += 4;
    return this;
  }

  writeLong(value: bigint): this {
    this.reserve(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, value), this.len);
    this.len += 8;
    return this;
  }

  writeBool(value: boolean): this {
    this.reserve(1);
    this.buf[this.len] = value ? 1 : 0;
    this.len += 1;
    return this;
  }

  /** A length-prefixed byte buffer; null is written as length -1. */
  writeBuffer(value: Buffer | null): this {
    if (value === null) return this.writeInt(-1);
    this.writeInt(value.length);
    this.reserve(value.length);
    value.copy(this.buf, this.len);
    this.len += value.length;
    return this;
  }

  /** A length-prefixed UTF-8 string; null is written as length -1. */
  writeString(value: string | null): this {
    if (value === null) return this.writeInt(-1);
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.writeInt(byteLength);
    this.reserve(byteLength);
    this.buf.write(value, this.len, byteLength, 'utf8');
    this.len += byteLength;
    return this;
  }

  /** A vector: element count (or -1 for null), then each element. */
  writeVector<T>(items: readonly T[] | null, writeItem: (writer: this, item: T) => void): this {
    if (items === null) return this.writeInt(-1);
    this.writeInt(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  writeStringVector(items: readonly string[] | null): this {
    return this.writeVector(items, (w, s) => w.writeString(s));
  }

  /**
   * The bytes written so far, not copied: a view of the writer's buffer. For a writer that
   * is done with (a request's body, copied once more into its frame by the connection).
   */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Copies the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  /** The bytes written so far prefixed with their length, as one frame on the wire. */
  toFrame(): Buffer {
    const frame = Buffer.allocUnsafe(4 + this.len);
    frame.writeInt32BE(this.len, 0);
    this.buf.copy(frame, 4, 0, this.len);
    return frame;
  }

  private reserve(extra: number): void {
    const needed = this.len + extra;
    if (needed <= this.buf.length) return;
    let capacity = Math.max(this.buf.length * 2, 16);
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}

/** Reads jute records from one frame, failing with JuteDecodeError past its end. */
export class JuteReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  readInt(): number {
    this.need(4, 'int');
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  readLong(): bigint {
    this.need(8, 'long');
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  readBool(): boolean {
    this.need(1, 'boolean');
    const value = this.buf[this.pos] !== 0;
    this.pos += 1;
    return value;
  }

  /** A buffer that may be null on the wire (length -1). */
  readNullableBuffer(): Buffer | null {
    const length = this.readLength('buffer');
    if (length < 0) return null;
    this.need(length, 'buffer body');
    const value = Buffer.from(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return value;
  }

  /** A buffer, with null read as an empty buffer. */
  readBuffer(): Buffer {
    return this.readNullableBuffer() ?? Buffer.alloc(0);
  }

  readNullableString(): string | null {
    const length = this.readLength('string');
    if (length < 0) return null;
    this.need(length, 'string body');
    const value = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  readString(): string {
    const value = this.readNullableString();
    if (value === null) throw new JuteDecodeError('unexpected null string');
    return value;
  }

  /** A vector; null (count -1) is read as an empty array. */
  readVector<T>(readItem: (reader: this) => T): T[] {
    const count = this.readLength('vector');
    if (count < 0) return [];
    // Every element takes at least one byte, so a count past the remaining bytes is corrupt.
    if (count > this.remaining) {
      throw new JuteDecodeError(
        `vector of ${count} elements exceeds the ${this.remaining} bytes left`,
      );
    }
    const items: T[] = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readItem(this);
    return items;
  }

  readStringVector(): string[] {
    return this.readVector((r) => r.readString());
  }

  private readLength(what: string): number {
    const length = this.readInt();
    if (length < -1) throw new JuteDecodeError(`negative ${what} length ${length}`);
    return length;
  }

  private need(bytes: number, what: string): void {
    if (this.pos + bytes > this.buf.length) {
      throw new JuteDecodeError(
        `reading ${what} needs ${bytes} bytes at offset ${this.pos}, frame has ${this.buf.length}`,
      );
    }
  }
}

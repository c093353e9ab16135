/**
 * Frame boundaries of one direction of a ZooKeeper client connection: each frame is a
 * 4-byte big-endian length and that many bytes. The first frame each way is the
 * ConnectRequest / ConnectResponse; after it, a request starts with xid and op type and a
 * reply with xid (then zxid and err). The scanner reads only the length and those first
 * 8 bytes of each frame and skips the rest, so it costs per frame, not per byte.
 */
export interface FrameHead {
  /** 0 for the first frame of the connection (the connect request or response). */
  index: number;
  /** Where the frame's length prefix starts, relative to the current chunk (< 0: earlier). */
  start: number;
  /** The frame's first int32 after the length, or null when the frame is shorter. */
  xid: number | null;
  /** The frame's second int32, or null when the frame is shorter. */
  opType: number | null;
}

/**
 * Longer than any frame ZooKeeper sends (jute.maxbuffer is about 1 MB on requests; large
 * getChildren replies are a few MB). A four-letter word read as a length ("srvr" is
 * 0x73727672) is far beyond it, which ends the scanning of that connection.
 */
const MAX_FRAME = 256 * 1024 * 1024;
const HEAD_BYTES = 8;

export class FrameScanner {
  /** Set once the bytes did not look like ZooKeeper frames; nothing is reported after. */
  unframed = false;
  private index = 0;
  private scanned = 0;
  private skip = 0;
  private readonly head = Buffer.alloc(4 + HEAD_BYTES);
  private headFill = 0;
  private headWant = 4;
  private frameLength = 0;
  private frameStart = 0;

  /**
   * Scans one chunk. `onFrame` is called for every frame whose head completes in it; when
   * it returns true the scan stops there and the frame's start (relative to the chunk,
   * possibly negative) is returned. Otherwise returns null.
   */
  scan(chunk: Buffer, onFrame: (head: FrameHead) => boolean): number | null {
    const base = this.scanned;
    let i = 0;
    try {
      while (i < chunk.length && !this.unframed) {
        if (this.skip > 0) {
          const n = Math.min(this.skip, chunk.length - i);
          this.skip -= n;
          i += n;
          continue;
        }
        if (this.headFill === 0) this.frameStart = base + i;
        const n = Math.min(this.headWant - this.headFill, chunk.length - i);
        chunk.copy(this.head, this.headFill, i, i + n);
        this.headFill += n;
        i += n;
        if (this.headFill < this.headWant) continue;
        if (this.headWant === 4) {
          this.frameLength = this.head.readInt32BE(0);
          if (this.frameLength < 0 || this.frameLength > MAX_FRAME) {
            this.unframed = true;
            break;
          }
          this.headWant = 4 + Math.min(HEAD_BYTES, this.frameLength);
          if (this.headWant > 4) continue;
        }
        const body = this.headWant - 4;
        const frame: FrameHead = {
          index: this.index++,
          start: this.frameStart - base,
          xid: body >= 4 ? this.head.readInt32BE(4) : null,
          opType: body >= 8 ? this.head.readInt32BE(8) : null,
        };
        this.skip = this.frameLength - body;
        this.headFill = 0;
        this.headWant = 4;
        if (onFrame(frame)) return frame.start;
      }
      return null;
    } finally {
      this.scanned = base + i;
    }
  }
}

/**
 * Rewrites the initial message of a leader-election connection (QuorumCnxManager) from the
 * 3.5+ form `protocolVersion(long < 0) sid(long) length(int) "host:port"` to the old form
 * `sid(long)`, which ZooKeeper 3.8 still accepts. The receiver then has no advertised
 * address, and when it wins the challenge (its id is higher) it connects back to the peer
 * through its own configuration: its own proxy link. See LinkProtocol `zk-election`.
 * Everything after the initial message passes untouched.
 */
export class ElectionInitialRewriter {
  private pending: Buffer | null = Buffer.alloc(0);

  /** The bytes to forward for this chunk (possibly none while the message is incomplete). */
  rewrite(chunk: Buffer): Buffer {
    if (this.pending === null) return chunk;
    const bytes = Buffer.concat([this.pending, chunk]);
    if (bytes.length < 8) {
      this.pending = bytes;
      return Buffer.alloc(0);
    }
    if (bytes.readBigInt64BE(0) >= 0n) return this.done(bytes); // already the old form
    if (bytes.length < 20) {
      this.pending = bytes;
      return Buffer.alloc(0);
    }
    const length = bytes.readInt32BE(16);
    // Not an initial message we understand: relay it as it is and let the server judge.
    if (length <= 0 || length > 64 * 1024) return this.done(bytes);
    if (bytes.length < 20 + length) {
      this.pending = bytes;
      return Buffer.alloc(0);
    }
    return this.done(Buffer.concat([bytes.subarray(8, 16), bytes.subarray(20 + length)]));
  }

  private done(bytes: Buffer): Buffer {
    this.pending = null;
    return bytes;
  }
}

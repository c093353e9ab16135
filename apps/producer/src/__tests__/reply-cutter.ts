/**
 * A loopback TCP relay in front of one real ZooKeeper server that can lose one reply: once
 * armed, the next reply to a request (xid > 0) is dropped and both sides of the connection
 * are cut, so the client sees ConnectionLoss for a request the server applied. Then new
 * connections are refused until `release()`, so a test can change the tree before the
 * client gets back. (The lab's fault proxy will do this on every link; this is the one
 * fault a producer test needs.)
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

/** Bytes of a reply frame's length prefix and of its header's xid. */
const LENGTH_BYTES = 4;

export class ReplyCutter {
  private armed: (() => void) | null = null;
  private holding = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<ReplyCutter> {
    let cutter: ReplyCutter | null = null;
    const server = createServer((client) => cutter?.relay(client, targetHost, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    cutter = new ReplyCutter(server, address.port);
    return cutter;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Resolves once a reply was dropped and the connection cut; reconnections are held. */
  cutAfterNextReply(): Promise<void> {
    return new Promise<void>((resolve) => (this.armed = resolve));
  }

  /** Lets clients connect again. */
  release(): void {
    this.holding = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, host: string, port: number): void {
    if (this.holding) {
      client.destroy();
      return;
    }
    const upstream = connect({ host, port });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    client.on('data', (chunk: Buffer) => upstream.write(chunk));

    // Server to client, frame by frame; the first frame is the connect response.
    let pending = Buffer.alloc(0);
    let connected = false;
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= LENGTH_BYTES) {
        const length = pending.readInt32BE(0);
        if (pending.length < LENGTH_BYTES + length) break;
        const frame = pending.subarray(0, LENGTH_BYTES + length);
        pending = pending.subarray(LENGTH_BYTES + length);
        const xid = connected ? frame.readInt32BE(LENGTH_BYTES) : 0;
        connected = true;
        const resolve = this.armed;
        if (resolve !== null && xid > 0) {
          this.armed = null;
          this.holding = true;
          cut();
          resolve();
          return;
        }
        client.write(frame);
      }
    });
  }
}

/**
 * One TCP connection to one server: length-prefixed framing, the session
 * handshake, replies matched to requests by xid in send order, and the
 * heartbeat. It knows nothing of reconnecting; when it dies it fails every
 * request in flight with ConnectionLossError and says so once.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { DispatchOrder } from './dispatch-order';
import { AuthFailedError, ConnectionLossError, ErrorCode, type ZkErrorContext } from './errors';
import { Fifo } from './fifo';
import { JuteReader, JuteWriter } from './jute';
import {
  OpCode,
  readReplyHeader,
  readWatchEvent,
  type ReplyHeader,
  REQUEST_HEADER_BYTES,
  type WatchEvent,
  Xid,
} from './protocol';
import {
  type ConnectRequest,
  type ConnectResponse,
  readConnectResponse,
  writeConnectRequest,
} from './records';

/** A frame longer than this is taken as a corrupt stream, not a big reply. */
const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export interface ConnectionHandlers {
  /**
   * A watch notification (xid -1), called in arrival order with the replies: at once, or,
   * when a reply was settled before it in the same turn, on a later one (dispatch-order.ts).
   */
  onNotification(event: WatchEvent): void;
  /** A reply with a positive zxid arrived; called before the request's promise settles. */
  onZxid(zxid: bigint): void;
  /**
   * The connection is gone; every request in flight has been failed already.
   * Called once, and only for a connection whose handshake completed.
   */
  onClose(connection: Connection, reason: Error): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  request: ConnectRequest;
  /** Bound on TCP connect plus handshake. */
  connectTimeoutMs: number;
  handlers: ConnectionHandlers;
  /** Aborts the connect or handshake (open() rejects); no effect once open() resolved. */
  signal?: AbortSignal;
  /** Connect with TLS (a server's secureClientPort), with these options. */
  tls?: tls.ConnectionOptions;
  /** The host name `host` was resolved from: what the server's certificate must name. */
  servername?: string;
  /**
   * Orders replies, notifications and the failure of the requests in flight as the caller
   * sees them (dispatch-order.ts); one per client, shared by its connections.
   */
  order?: DispatchOrder;
}

export interface OutgoingRequest {
  opCode: number;
  /** The serialized request record that follows the header; empty for bodiless requests. */
  body: Buffer;
  /** Names the request in errors. */
  context: ZkErrorContext;
  /** A reserved xid (e.g. setWatches -8); by default the next sequence number. */
  xid?: number;
  /**
   * Called with the reply header as the reply is settled, before any later frame (such as a
   * notification in the same read) is handled: watches are registered here, so none is missed.
   */
  onReply?: (header: ReplyHeader) => void;
}

export interface Reply {
  header: ReplyHeader;
  /** Positioned after the reply header. */
  body: JuteReader;
}

interface InFlight {
  xid: number;
  context: ZkErrorContext;
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

export interface OpenedConnection {
  connection: Connection;
  response: ConnectResponse;
}

export class Connection {
  readonly host: string;
  readonly port: number;

  private readonly socket: net.Socket;
  private readonly handlers: ConnectionHandlers;
  private readonly order: DispatchOrder;
  private readonly inFlight = new Fifo<InFlight>();
  /**
   * Auth requests (xid -4), answered in their own order: the server handles them as they
   * arrive, so their replies may overtake those of requests sent before them.
   */
  private readonly authInFlight = new Fifo<InFlight>();
  private nextXid = 1;

  private chunks: Buffer[] = [];
  private buffered = 0;
  private frameLength = -1;

  private handshake: { resolve(r: OpenedConnection): void; reject(e: Error): void } | null;
  private connectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readTimeoutMs = 0;
  private pingIntervalMs = 0;
  /** Whether frames written in this tick are being gathered (see write). */
  private corked = false;
  private lastSend = 0;
  private lastRecv = 0;
  private closed = false;

  /** Connects and performs the handshake; rejects with ConnectionLossError if either fails. */
  static open(options: ConnectionOptions): Promise<OpenedConnection> {
    return new Promise((resolve, reject) => {
      new Connection(options, { resolve, reject });
    });
  }

  private constructor(
    options: ConnectionOptions,
    handshake: { resolve(r: OpenedConnection): void; reject(e: Error): void },
  ) {
    this.host = options.host;
    this.port = options.port;
    this.handlers = options.handlers;
    this.order = options.order ?? new DispatchOrder();
    this.handshake = handshake;

    this.connectTimer = setTimeout(
      () => this.fail(new ConnectionLossError({ op: 'connect', path: this.address })),
      options.connectTimeoutMs,
    );
    const secure = options.tls;
    const name = options.servername;
    this.socket =
      secure === undefined
        ? net.createConnection({ host: options.host, port: options.port })
        : tls.connect({
            ...secure,
            host: options.host,
            port: options.port,
            // The certificate is checked against the name, not the address it resolved to.
            ...(secure.servername === undefined && name !== undefined && net.isIP(name) === 0
              ? { servername: name }
              : {}),
          });
    this.socket.setNoDelay(true);
    this.socket.on(secure === undefined ? 'connect' : 'secureConnect', () => {
      const w = new JuteWriter(64);
      writeConnectRequest(w, options.request);
      this.write(w.toFrame());
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) =>
      this.fail(new ConnectionLossError({ op: 'socket', path: this.address }, error.message)),
    );
    this.socket.on('close', () =>
      this.fail(new ConnectionLossError({ op: 'socket', path: this.address })),
    );
    const signal = options.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (this.handshake !== null) {
          this.fail(new ConnectionLossError({ op: 'connect', path: this.address }));
        }
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      this.socket.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a request; the promise settles with its reply or fails with ConnectionLossError. */
  submit(request: OutgoingRequest): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (this.closed || this.handshake !== null) {
        reject(new ConnectionLossError(request.context));
        return;
      }
      const xid = request.xid ?? this.takeXid();
      // One buffer, one copy: the frame's length, the RequestHeader (xid, type), the body.
      const frame = Buffer.allocUnsafe(4 + REQUEST_HEADER_BYTES + request.body.length);
      frame.writeInt32BE(REQUEST_HEADER_BYTES + request.body.length, 0);
      frame.writeInt32BE(xid, 4);
      frame.writeInt32BE(request.opCode, 8);
      request.body.copy(frame, 4 + REQUEST_HEADER_BYTES);
      const queue = xid === Xid.auth ? this.authInFlight : this.inFlight;
      const onReply = request.onReply;
      const settle =
        onReply === undefined
          ? resolve
          : (reply: Reply): void => {
              onReply(reply.header);
              resolve(reply);
            };
      queue.push({ xid, context: request.context, resolve: settle, reject });
      this.write(frame);
    });
  }

  /** Closes the socket; requests in flight fail with ConnectionLossError. */
  destroy(): void {
    this.fail(new ConnectionLossError({ op: 'close', path: this.address }));
  }

  private takeXid(): number {
    const xid = this.nextXid;
    // Stay positive: negative xids are reserved.
    this.nextXid = xid >= 0x7fffffff ? 1 : xid + 1;
    return xid;
  }

  private write(frame: Buffer): void {
    if (this.closed) return;
    this.lastSend = performance.now();
    // The frames of one tick leave in one writev (one syscall, full TCP segments), as the
    // Java client flushes its outgoing queue once: corked on the first, uncorked after.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(frame);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastRecv = performance.now();
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.frameLength < 0) {
        if (this.buffered < 4) return;
        const length = this.take(4).readInt32BE(0);
        if (length < 0 || length > MAX_FRAME_BYTES) {
          this.fail(
            new ConnectionLossError({
              op: 'read',
              path: `${this.address} (frame length ${length})`,
            }),
          );
          return;
        }
        this.frameLength = length;
      }
      if (this.buffered < this.frameLength) return;
      const frame = this.take(this.frameLength);
      this.frameLength = -1;
      try {
        this.onFrame(frame);
      } catch {
        // An undecodable header or handshake: the stream cannot be trusted any more.
        this.fail(new ConnectionLossError({ op: 'read', path: this.address }));
      }
      if (this.closed) return;
    }
  }

  /** Removes the next `n` buffered bytes, joining chunks only when a frame spans them. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.chunks[0];
      if (chunk === undefined) throw new Error('framing underflow');
      const count = Math.min(chunk.length, n - offset);
      chunk.copy(out, offset, 0, count);
      offset += count;
      if (count === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(count);
    }
    this.buffered -= n;
    return out;
  }

  private onFrame(frame: Buffer): void {
    const reader = new JuteReader(frame);
    if (this.handshake !== null) {
      const response = readConnectResponse(reader);
      const handshake = this.handshake;
      this.handshake = null;
      this.clearConnectTimer();
      if (response.timeOutMs > 0) this.startHeartbeat(response.timeOutMs);
      handshake.resolve({ connection: this, response });
      return;
    }

    const header = readReplyHeader(reader);
    switch (header.xid) {
      case Xid.ping:
        return;
      case Xid.notification: {
        const event = readWatchEvent(reader);
        this.order.event(() => this.handlers.onNotification(event));
        return;
      }
      case Xid.auth: {
        const auth = this.authInFlight.shift();
        if (auth !== undefined) this.order.reply(() => auth.resolve({ header, body: reader }));
        // The server closes the connection after a refused auth: fail it now, so nothing
        // more is sent on it and the client moves on at once.
        if (header.err === ErrorCode.AUTH_FAILED) {
          this.fail(new AuthFailedError({ op: 'addAuth', path: this.address }));
        }
        return;
      }
    }
    const request = this.inFlight.peek();
    if (request === undefined || request.xid !== header.xid) {
      // Replies come back in send order; anything else means the stream is out of step.
      this.fail(
        new ConnectionLossError({
          op: 'read',
          path: `${this.address} (xid ${header.xid} out of order)`,
        }),
      );
      return;
    }
    this.inFlight.shift();
    if (header.zxid > 0n) this.handlers.onZxid(header.zxid);
    this.order.reply(() => request.resolve({ header, body: reader }));
  }

  private startHeartbeat(negotiatedTimeoutMs: number): void {
    // As the Java client: a reply is due within 2/3 of the session timeout, and an idle
    // connection pings after 1/3 of it, so a live server always has time to answer.
    this.readTimeoutMs = (negotiatedTimeoutMs * 2) / 3;
    this.pingIntervalMs = negotiatedTimeoutMs / 3;
    this.lastRecv = performance.now();
    this.scheduleHeartbeat();
  }

  private scheduleHeartbeat(): void {
    if (this.closed) return;
    const now = performance.now();
    const untilPing = this.lastSend + this.pingIntervalMs - now;
    const untilDead = this.lastRecv + this.readTimeoutMs - now;
    const delay = Math.max(1, Math.ceil(Math.min(untilPing, untilDead)));
    this.heartbeatTimer = setTimeout(() => this.onHeartbeat(false), delay);
  }

  private onHeartbeat(recheck: boolean): void {
    this.heartbeatTimer = null;
    if (this.closed) return;
    const now = performance.now();
    if (now - this.lastRecv >= this.readTimeoutMs) {
      if (!recheck) {
        // Timers run before I/O callbacks: after a blocked event loop, let pending reads land first.
        setImmediate(() => this.onHeartbeat(true));
        return;
      }
      this.fail(new ConnectionLossError({ op: 'read timeout', path: this.address }));
      return;
    }
    if (now - this.lastSend >= this.pingIntervalMs) this.sendPing();
    this.scheduleHeartbeat();
  }

  private sendPing(): void {
    const frame = Buffer.allocUnsafe(12);
    frame.writeInt32BE(8, 0);
    frame.writeInt32BE(Xid.ping, 4);
    frame.writeInt32BE(OpCode.ping, 8);
    this.write(frame);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private fail(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.clearConnectTimer();
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.socket.destroy();
    this.chunks = [];
    this.buffered = 0;

    if (this.handshake !== null) {
      const handshake = this.handshake;
      this.handshake = null;
      handshake.reject(reason);
      return;
    }
    const lost = [...this.authInFlight.drain(), ...this.inFlight.drain()];
    // Behind the replies and events read before the loss, if any still wait.
    this.order.state(() => {
      for (const request of lost) request.reject(new ConnectionLossError(request.context));
    });
    this.handlers.onClose(this, reason);
  }
}

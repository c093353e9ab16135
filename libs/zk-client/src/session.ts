/**
 * The session state machine of a ZkClient: connection attempts and their backoff, the
 * handshake that makes or re-attaches a session, SUSPENDED, LOST after a whole session
 * timeout, the requests that wait for a connection, and the end of the session at close.
 * It knows nothing of operations: the client sends its requests through `send()` and hears
 * of each transition through its hooks (watches and credentials to restore, the state to
 * announce).
 *
 *   CONNECTING ─▶ CONNECTED ─▶ SUSPENDED ─▶ CONNECTED (RECONNECTED: same session)
 *                                  └──────▶ LOST ─▶ CONNECTED (a new session) …
 *   any state ─▶ CLOSED (close())
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { Connection, type OpenedConnection, type OutgoingRequest, type Reply } from './connection';
import type { DispatchOrder } from './dispatch-order';
import {
  CallAbortedError,
  ClientClosedError,
  ConnectionLossError,
  RequestTooLargeError,
  SessionExpiredError,
  type ZkError,
  type ZkErrorContext,
} from './errors';
import type { HostRotation } from './hosts';
import {
  KeeperState,
  OpCode,
  PROTOCOL_VERSION,
  REQUEST_HEADER_BYTES,
  SESSION_PASSWORD_LENGTH,
  type WatchEvent,
} from './protocol';
import type { ReconnectBackoff, ZkClientState, ZkStateEvent } from './client-options';

const MIN_ATTEMPT_TIMEOUT_MS = 1_000;
const CLOSE_SESSION_WAIT_MS = 2_000;

/** What the session tells its client. */
export interface SessionHooks {
  /**
   * A connection now carries the session, before the requests that waited go out on it:
   * what the server must be told again goes first (credentials; watches, when the same
   * session re-attached).
   */
  restore(connection: Connection, reattached: boolean, lastZxidSeen: bigint): void;
  /** The connection dropped (SUSPENDED is announced next). */
  onDisconnected(): void;
  /** The session ended: Expired (LOST) or Closed. */
  onEnded(state: KeeperState): void;
  onNotification(event: WatchEvent): void;
  announce(state: ZkStateEvent): void;
}

export interface SessionSettings {
  hosts: HostRotation;
  requestedTimeoutMs: number;
  maxRequestBytes: number;
  newSessionAfterLost: boolean;
  reconnectBackoff: ReconnectBackoff;
  tls: TlsConnectionOptions | undefined;
  /** The client's order of replies and events, given to each of its connections. */
  order: DispatchOrder;
}

interface WaitingRequest {
  request: OutgoingRequest;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Session {
  private _state: ZkClientState = 'CONNECTING';
  private _sessionId = 0n;
  private _negotiatedTimeoutMs = 0;
  private _lastZxidSeen = 0n;
  private password: Buffer = Buffer.alloc(SESSION_PASSWORD_LENGTH);
  private readonly hosts: HostRotation;
  private readonly requestedTimeoutMs: number;
  private readonly maxRequestBytes: number;
  private readonly newSessionAfterLost: boolean;
  private readonly reconnectBackoff: ReconnectBackoff;
  private readonly tls: TlsConnectionOptions | undefined;
  private readonly order: DispatchOrder;
  /** Why the last connection attempt failed, when the socket said (for connect()'s error). */
  private _lastAttemptFailure: string | null = null;
  /** Declares the session LOST when SUSPENDED lasts a whole session timeout. */
  private lostTimer: NodeJS.Timeout | null = null;
  private connection: Connection | null = null;
  private readonly waiting: WaitingRequest[] = [];
  private attemptTimer: NodeJS.Timeout | null = null;
  private attempting = false;
  private failedAttempts = 0;
  private closing: Promise<void> | null = null;
  /** Aborts a connect attempt under way when close() is called. */
  private readonly closeSignal = new AbortController();

  constructor(
    settings: SessionSettings,
    private readonly hooks: SessionHooks,
  ) {
    this.hosts = settings.hosts;
    this.requestedTimeoutMs = settings.requestedTimeoutMs;
    this.maxRequestBytes = settings.maxRequestBytes;
    this.newSessionAfterLost = settings.newSessionAfterLost;
    this.reconnectBackoff = settings.reconnectBackoff;
    this.tls = settings.tls;
    this.order = settings.order;
  }

  get state(): ZkClientState {
    return this._state;
  }

  get sessionId(): bigint {
    return this._sessionId;
  }

  get negotiatedTimeoutMs(): number {
    return this._negotiatedTimeoutMs;
  }

  get lastZxidSeen(): bigint {
    return this._lastZxidSeen;
  }

  get sessionPassword(): Buffer {
    return Buffer.from(this.password);
  }

  get lastAttemptFailure(): string | null {
    return this._lastAttemptFailure;
  }

  /** close() was called. */
  get isClosing(): boolean {
    return this.closing !== null;
  }

  /** Sends now when connected; otherwise waits for the (re)connect, up to the session timeout. */
  send(request: OutgoingRequest): Promise<Reply> {
    if (this.closing !== null || this._state === 'CLOSED') {
      return Promise.reject(new ClientClosedError(request.context));
    }
    if (this._state === 'LOST' && !this.newSessionAfterLost) {
      return Promise.reject(new SessionExpiredError(request.context));
    }
    const requestBytes = REQUEST_HEADER_BYTES + request.body.length;
    if (requestBytes > this.maxRequestBytes) {
      return Promise.reject(
        new RequestTooLargeError(requestBytes, this.maxRequestBytes, request.context),
      );
    }
    if (this.connection !== null) return this.connection.submit(request);

    return new Promise<Reply>((resolve, reject) => {
      const entry: WaitingRequest = {
        request,
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.waiting.indexOf(entry);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(new ConnectionLossError(request.context));
        }, this.sessionTimeoutMs()),
      };
      this.waiting.push(entry);
    });
  }

  private sessionTimeoutMs(): number {
    return this._negotiatedTimeoutMs > 0 ? this._negotiatedTimeoutMs : this.requestedTimeoutMs;
  }

  private failWaiting(makeError: (context: ZkErrorContext) => ZkError): void {
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(makeError(entry.request.context));
    }
  }

  /** The first attempt to connect. */
  start(): void {
    this.scheduleAttempt(0);
  }

  private scheduleAttempt(delayMs: number): void {
    if (this.attemptTimer !== null || this.attempting) return;
    this.attemptTimer = setTimeout(() => {
      this.attemptTimer = null;
      void this.attempt();
    }, delayMs);
  }

  /** The pause after `failedAttempts` failed attempts in a row: growing, jittered. */
  private backoffMs(): number {
    const { baseDelayMs, maxDelayMs } = this.reconnectBackoff;
    const base = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, this.failedAttempts - 1));
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }

  /** The pause before the first attempt after a lost connection or session. */
  private firstDelayMs(): number {
    return Math.round(Math.random() * this.reconnectBackoff.firstJitterMs);
  }

  private async attempt(): Promise<void> {
    if (this.closing !== null || this._state === 'CLOSED') return;
    if (this._state === 'LOST' && !this.newSessionAfterLost) return;
    const sessionAsked = this._sessionId;
    this.attempting = true;
    let opened: OpenedConnection;
    try {
      const endpoint = await this.hosts.next();
      if (endpoint === null) throw new Error('no host of the connect string resolved');
      opened = await Connection.open({
        host: endpoint.address,
        port: endpoint.port,
        servername: endpoint.host,
        ...(this.tls === undefined ? {} : { tls: this.tls }),
        signal: this.closeSignal.signal,
        order: this.order,
        connectTimeoutMs: Math.max(
          MIN_ATTEMPT_TIMEOUT_MS,
          this.sessionTimeoutMs() / this.hosts.size,
        ),
        request: {
          protocolVersion: PROTOCOL_VERSION,
          lastZxidSeen: this._lastZxidSeen,
          timeOutMs: this.requestedTimeoutMs,
          sessionId: this._sessionId,
          password: this.password,
          readOnly: false,
        },
        handlers: {
          onNotification: (event) => this.hooks.onNotification(event),
          onZxid: (zxid) => {
            if (zxid > this._lastZxidSeen) this._lastZxidSeen = zxid;
          },
          onClose: (connection) => this.onConnectionClosed(connection),
        },
      });
    } catch (error) {
      this._lastAttemptFailure =
        error instanceof ConnectionLossError && error.detail !== undefined
          ? error.detail
          : error instanceof Error
            ? error.message
            : String(error);
      this.attempting = false;
      this.failedAttempts++;
      if (this.closing === null) this.scheduleAttempt(this.backoffMs());
      return;
    }
    this.attempting = false;
    const { connection, response } = opened;

    if (this.closing !== null) {
      // close() ran while this handshake was under way: end the session it may have made.
      if (response.timeOutMs > 0) {
        const closed = connection.submit({
          opCode: OpCode.closeSession,
          body: Buffer.alloc(0),
          context: { op: 'close' },
        });
        void settleWithin(closed, CLOSE_SESSION_WAIT_MS).then(() => connection.destroy());
      } else {
        connection.destroy();
      }
      return;
    }
    if (sessionAsked !== this._sessionId) {
      // The session was declared LOST while this handshake was under way: the client has
      // let it go, so end it on the server too and make the new one.
      if (response.timeOutMs > 0) {
        const closed = connection.submit({
          opCode: OpCode.closeSession,
          body: Buffer.alloc(0),
          context: { op: 'close' },
        });
        void settleWithin(closed, CLOSE_SESSION_WAIT_MS).then(() => connection.destroy());
      } else {
        connection.destroy();
      }
      this.scheduleAttempt(this.firstDelayMs());
      return;
    }
    if (response.timeOutMs <= 0) {
      connection.destroy();
      this.onSessionExpired();
      return;
    }
    if (!connection.isOpen) {
      this.failedAttempts++;
      this.scheduleAttempt(this.backoffMs());
      return;
    }

    const reattached = this._sessionId !== 0n;
    this._sessionId = response.sessionId;
    this.password = response.password;
    this._negotiatedTimeoutMs = response.timeOutMs;
    this.connection = connection;
    this.failedAttempts = 0;
    this.clearLostTimer();
    this._state = 'CONNECTED';
    this.hooks.restore(connection, reattached, this._lastZxidSeen);
    // Requests that waited go out before anything a state listener sends, keeping call order.
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      connection.submit(entry.request).then(entry.resolve, entry.reject);
    }
    this.hooks.announce(reattached ? 'RECONNECTED' : 'CONNECTED');
  }

  private onConnectionClosed(connection: Connection): void {
    if (connection !== this.connection) return;
    this.connection = null;
    if (this.closing !== null) return;
    this._state = 'SUSPENDED';
    // No server has heard from this session for at least as long as it has been
    // suspended, so after a whole session timeout it has expired (or will, the moment a
    // server sees it): say LOST then rather than when a server is reachable again.
    this.lostTimer ??= setTimeout(() => {
      this.lostTimer = null;
      if (this._state === 'SUSPENDED' && this.closing === null) this.onSessionExpired();
    }, this._negotiatedTimeoutMs);
    this.scheduleAttempt(this.firstDelayMs());
    this.hooks.onDisconnected();
    this.hooks.announce('SUSPENDED');
  }

  private clearLostTimer(): void {
    if (this.lostTimer !== null) clearTimeout(this.lostTimer);
    this.lostTimer = null;
  }

  /**
   * The session is gone (the server said so, or it was suspended for a whole session
   * timeout): requests waiting for it fail with SessionExpiredError, 'LOST' is emitted,
   * and, unless configured otherwise, the client goes on to make a new session.
   */
  private onSessionExpired(): void {
    this.clearLostTimer();
    this._state = 'LOST';
    this._sessionId = 0n;
    this.password = Buffer.alloc(SESSION_PASSWORD_LENGTH);
    this._lastZxidSeen = 0n;
    this.failWaiting((context) => new SessionExpiredError(context));
    this.hooks.onEnded(KeeperState.Expired);
    // The next session is on its way before any listener hears of the loss.
    if (this.newSessionAfterLost && this.closing === null) {
      this.scheduleAttempt(this.firstDelayMs());
    }
    this.hooks.announce('LOST');
  }

  /** Takes a request that waits for a connection out of the queue: it will not be sent. */
  dropWaiting(request: OutgoingRequest): void {
    const index = this.waiting.findIndex((entry) => entry.request === request);
    if (index < 0) return;
    const [entry] = this.waiting.splice(index, 1);
    clearTimeout(entry!.timer);
    entry!.reject(new CallAbortedError(request.context, 'dropped'));
  }

  /** Ends the session on the server and closes the connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeSession();
    return this.closing;
  }

  private async closeSession(): Promise<void> {
    if (this.attemptTimer !== null) clearTimeout(this.attemptTimer);
    this.attemptTimer = null;
    this.closeSignal.abort();
    this.clearLostTimer();
    this.failWaiting((context) => new ClientClosedError(context));
    this.hooks.onEnded(KeeperState.Closed);

    const connection = this.connection;
    if (connection !== null && this._state === 'CONNECTED') {
      const closed = connection.submit({
        opCode: OpCode.closeSession,
        body: Buffer.alloc(0),
        context: { op: 'close' },
      });
      await settleWithin(
        closed,
        Math.min(CLOSE_SESSION_WAIT_MS, this._negotiatedTimeoutMs || CLOSE_SESSION_WAIT_MS),
      );
      connection.destroy();
    }
    this.connection = null;
    this._state = 'CLOSED';
    this.hooks.announce('CLOSED');
  }
}

/** Waits for `promise` to settle, but no longer than `ms`; never rejects. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

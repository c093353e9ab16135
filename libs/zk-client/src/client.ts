/**
 * ZkClient: one ZooKeeper session over a sequence of connections.
 *
 * States and the events that announce them:
 * - CONNECTING: before the first session exists (`connect()` has not resolved yet).
 * - CONNECTED (event 'CONNECTED', later 'RECONNECTED'): a connection carries the session.
 * - SUSPENDED (event 'SUSPENDED'): the connection dropped; the session may still live on
 *   the server. Requests in flight failed with ConnectionLossError (they may or may not
 *   have been applied). New requests wait for the reconnect and are sent then, or fail
 *   with ConnectionLossError if it does not come within the session timeout.
 * - LOST (event 'LOST'): the server said the session expired; its ephemeral nodes and
 *   watches are gone. This client does not create a new session: requests fail with
 *   SessionExpiredError.
 * - CLOSED (event 'CLOSED'): `close()` was called; requests fail with ClientClosedError.
 */
import { EventEmitter } from 'node:events';
import { Connection, type OpenedConnection, type OutgoingRequest, type Reply } from './connection';
import {
  BadArgumentsError,
  ClientClosedError,
  ConnectionLossError,
  errorFromCode,
  MarshallingError,
  NoNodeError,
  RequestTooLargeError,
  SessionExpiredError,
  type ZkError,
  type ZkErrorContext,
} from './errors';
import { HostRotation, parseConnectString } from './hosts';
import { JuteDecodeError, type JuteReader, JuteWriter } from './jute';
import { toClientPath, toServerPath, validatePath } from './paths';
import {
  type ACL,
  CreateMode,
  isSequential,
  isTtl,
  OPEN_ACL_UNSAFE,
  OpCode,
  PROTOCOL_VERSION,
  readStat,
  SESSION_PASSWORD_LENGTH,
  type Stat,
  type WatchEvent,
} from './protocol';
import {
  readCreate2Response,
  readGetChildrenResponse,
  readGetDataResponse,
  writeCreateRequest,
  writeCreateTtlRequest,
  writePathVersionRequest,
  writePathWatchRequest,
  writeSetDataRequest,
} from './records';

export interface ZkClientOptions {
  /** "host1:2181,host2:2181" with an optional chroot suffix: "host1:2181/app". */
  connectString: string;
  /** Requested session timeout; the server bounds it to [2, 20] ticks by default. Default 10000. */
  sessionTimeoutMs?: number;
  /**
   * How long `connect()` waits for the first session before it rejects with
   * ConnectionLossError. Default 15000. (Each single attempt is bounded by the session
   * timeout divided by the number of hosts, as in the Java client.)
   */
  connectTimeoutMs?: number;
  /**
   * Largest request frame sent, in bytes; larger ones fail with RequestTooLargeError
   * before sending. Default 1048575, the server's default jute.maxbuffer: set it to the
   * servers' value if they raise it.
   */
  maxRequestBytes?: number;
}

export type ZkClientState = 'CONNECTING' | 'CONNECTED' | 'SUSPENDED' | 'LOST' | 'CLOSED';
export type ZkStateEvent = 'CONNECTED' | 'SUSPENDED' | 'RECONNECTED' | 'LOST' | 'CLOSED';

export interface ZkClientEvents {
  state: [ZkStateEvent];
  /** A watch notification; `path` is relative to the chroot. */
  watch: [WatchEvent];
}

export interface CreateOptions {
  /** Default PERSISTENT. */
  mode?: CreateMode;
  /** Default OPEN_ACL_UNSAFE. */
  acl?: readonly ACL[];
  /** Required for the TTL modes (the server must run with extendedTypesEnabled). */
  ttlMs?: number;
}

const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const MIN_ATTEMPT_TIMEOUT_MS = 1_000;
const MAX_BACKOFF_MS = 1_000;
const CLOSE_SESSION_WAIT_MS = 2_000;
const DEFAULT_MAX_REQUEST_BYTES = 0xfffff;
/** Request header: xid and op code. */
const REQUEST_HEADER_BYTES = 8;

interface WaitingRequest {
  request: OutgoingRequest;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ZkClient extends EventEmitter<ZkClientEvents> {
  private _state: ZkClientState = 'CONNECTING';
  private _sessionId = 0n;
  private _negotiatedTimeoutMs = 0;
  private _lastZxidSeen = 0n;
  private password: Buffer = Buffer.alloc(SESSION_PASSWORD_LENGTH);

  private readonly chroot: string;
  private readonly hosts: HostRotation;
  private readonly requestedTimeoutMs: number;
  private readonly maxRequestBytes: number;

  private connection: Connection | null = null;
  private readonly waiting: WaitingRequest[] = [];
  private attemptTimer: NodeJS.Timeout | null = null;
  private attempting = false;
  private failedAttempts = 0;
  private closing: Promise<void> | null = null;
  /** Aborts a connect attempt under way when close() is called. */
  private readonly closeSignal = new AbortController();

  /** Connects to the ensemble and resolves once the first session is CONNECTED. */
  static connect(options: ZkClientOptions): Promise<ZkClient> {
    let client: ZkClient;
    try {
      client = new ZkClient(options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise<ZkClient>((resolve, reject) => {
      const onState = (event: ZkStateEvent): void => {
        if (event !== 'CONNECTED') return;
        clearTimeout(timer);
        client.off('state', onState);
        resolve(client);
      };
      const timer = setTimeout(() => {
        client.off('state', onState);
        void client.close();
        reject(new ConnectionLossError({ op: 'connect', path: options.connectString }));
      }, timeoutMs);
      client.on('state', onState);
      client.scheduleAttempt(0);
    });
  }

  private constructor(options: ZkClientOptions) {
    super();
    const parsed = parseConnectString(options.connectString);
    this.chroot = parsed.chroot;
    this.hosts = new HostRotation(parsed.hosts);
    const timeout = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new BadArgumentsError(
        { op: 'connect' },
        `sessionTimeoutMs must be a positive integer, got ${timeout}`,
      );
    }
    this.requestedTimeoutMs = timeout;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  }

  get state(): ZkClientState {
    return this._state;
  }

  /** The session id, 0n before the first session. */
  get sessionId(): bigint {
    return this._sessionId;
  }

  /** The session timeout the server granted, 0 before the first session. */
  get negotiatedTimeoutMs(): number {
    return this._negotiatedTimeoutMs;
  }

  /** The highest zxid seen in a reply; sent on reconnect so no server with older state is used. */
  get lastZxidSeen(): bigint {
    return this._lastZxidSeen;
  }

  /** Creates a node and returns its path (with the sequence suffix for sequential modes). */
  async create(path: string, data?: Buffer | string, options: CreateOptions = {}): Promise<string> {
    const mode = options.mode ?? CreateMode.PERSISTENT;
    const context = { op: 'create', path };
    validatePath(path, { sequential: isSequential(mode), op: 'create' });
    const acl = options.acl ?? OPEN_ACL_UNSAFE;
    if (acl.length === 0) throw new BadArgumentsError(context, 'an empty ACL is not allowed');
    const serverPath = this.serverPath(path);
    const body = new JuteWriter();
    let opCode: number;
    if (isTtl(mode)) {
      const ttl = options.ttlMs;
      if (ttl === undefined || !Number.isInteger(ttl) || ttl <= 0) {
        throw new BadArgumentsError(context, 'a TTL mode needs a positive integer ttlMs');
      }
      opCode = OpCode.createTTL;
      writeCreateTtlRequest(body, serverPath, toBuffer(data), acl, mode, ttl);
    } else {
      if (options.ttlMs !== undefined) {
        throw new BadArgumentsError(context, 'ttlMs is only valid with a TTL mode');
      }
      opCode = mode === CreateMode.CONTAINER ? OpCode.createContainer : OpCode.create2;
      writeCreateRequest(body, serverPath, toBuffer(data), acl, mode);
    }
    const created = await this.call(
      { opCode, body: body.toBuffer(), context },
      readCreate2Response,
    );
    return toClientPath(this.chroot, created.path);
  }

  /** Deletes a node; `version` -1 matches any version. */
  async delete(path: string, version = -1): Promise<void> {
    validatePath(path, { op: 'delete' });
    const body = new JuteWriter();
    writePathVersionRequest(body, this.serverPath(path), version);
    await this.call(
      { opCode: OpCode.delete, body: body.toBuffer(), context: { op: 'delete', path } },
      () => {
        // DeleteResponse has no body.
      },
    );
  }

  /** The node's Stat, or null when it does not exist. */
  async exists(path: string): Promise<Stat | null> {
    validatePath(path, { op: 'exists' });
    const body = new JuteWriter();
    writePathWatchRequest(body, this.serverPath(path), false);
    try {
      return await this.call(
        { opCode: OpCode.exists, body: body.toBuffer(), context: { op: 'exists', path } },
        readStat,
      );
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  async getData(path: string): Promise<{ data: Buffer; stat: Stat }> {
    validatePath(path, { op: 'getData' });
    const body = new JuteWriter();
    writePathWatchRequest(body, this.serverPath(path), false);
    return this.call(
      { opCode: OpCode.getData, body: body.toBuffer(), context: { op: 'getData', path } },
      readGetDataResponse,
    );
  }

  /** Replaces the node's data; `version` -1 matches any version. Returns the new Stat. */
  async setData(path: string, data: Buffer | string, version = -1): Promise<Stat> {
    validatePath(path, { op: 'setData' });
    const body = new JuteWriter();
    writeSetDataRequest(body, this.serverPath(path), toBuffer(data), version);
    return this.call(
      { opCode: OpCode.setData, body: body.toBuffer(), context: { op: 'setData', path } },
      readStat,
    );
  }

  /** The names (not paths) of the node's children, in no particular order. */
  async getChildren(path: string): Promise<string[]> {
    validatePath(path, { op: 'getChildren' });
    const body = new JuteWriter();
    writePathWatchRequest(body, this.serverPath(path), false);
    return this.call(
      { opCode: OpCode.getChildren, body: body.toBuffer(), context: { op: 'getChildren', path } },
      readGetChildrenResponse,
    );
  }

  /**
   * Ends the session on the server (its ephemeral nodes go at once) and closes the
   * connection. Requests already sent are answered first. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeSession();
    return this.closing;
  }

  private async closeSession(): Promise<void> {
    if (this.attemptTimer !== null) clearTimeout(this.attemptTimer);
    this.attemptTimer = null;
    this.closeSignal.abort();
    this.failWaiting((context) => new ClientClosedError(context));

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
    this.emit('state', 'CLOSED');
  }

  private serverPath(path: string): string {
    return toServerPath(this.chroot, path);
  }

  /** Sends a request and decodes its reply, turning error codes into ZkError subclasses. */
  private async call<T>(request: OutgoingRequest, decode: (reader: JuteReader) => T): Promise<T> {
    const reply = await this.send(request);
    if (reply.header.err !== 0) throw errorFromCode(reply.header.err, request.context);
    try {
      return decode(reply.body);
    } catch (error) {
      if (error instanceof JuteDecodeError) throw new MarshallingError(request.context);
      throw error;
    }
  }

  /** Sends now when connected; otherwise waits for the (re)connect, up to the session timeout. */
  private send(request: OutgoingRequest): Promise<Reply> {
    if (this.closing !== null || this._state === 'CLOSED') {
      return Promise.reject(new ClientClosedError(request.context));
    }
    if (this._state === 'LOST') return Promise.reject(new SessionExpiredError(request.context));
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

  private scheduleAttempt(delayMs: number): void {
    if (this.attemptTimer !== null || this.attempting) return;
    this.attemptTimer = setTimeout(() => {
      this.attemptTimer = null;
      void this.attempt();
    }, delayMs);
  }

  /** No pause until every host has failed once in a row, then a short growing backoff. */
  private backoffMs(): number {
    const overRound = this.failedAttempts - this.hosts.size;
    if (overRound < 0) return 0;
    const base = Math.min(MAX_BACKOFF_MS, 50 * 2 ** overRound);
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }

  private async attempt(): Promise<void> {
    if (this.closing !== null || this._state === 'LOST' || this._state === 'CLOSED') return;
    const host = this.hosts.next();
    this.attempting = true;
    let opened: OpenedConnection;
    try {
      opened = await Connection.open({
        host: host.host,
        port: host.port,
        signal: this.closeSignal.signal,
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
          onNotification: (event) => this.onNotification(event),
          onZxid: (zxid) => {
            if (zxid > this._lastZxidSeen) this._lastZxidSeen = zxid;
          },
          onClose: (connection) => this.onConnectionClosed(connection),
        },
      });
    } catch {
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
    this._state = 'CONNECTED';
    this.restoreSession(connection, reattached);
    // Requests that waited go out before anything a state listener sends, keeping call order.
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      connection.submit(entry.request).then(entry.resolve, entry.reject);
    }
    this.emit('state', reattached ? 'RECONNECTED' : 'CONNECTED');
  }

  /**
   * Runs on every new connection, before the requests that waited for it: what the server
   * must be told again goes first, in this order, on the same pipelined connection.
   * - credentials (addAuth) are re-sent on every connection, of the same session or a new one;
   * - watches are re-registered (SetWatches2 from lastZxidSeen) when the same session
   *   re-attaches; a new session starts without them.
   */
  private restoreSession(connection: Connection, reattached: boolean): void {
    void connection;
    void reattached;
  }

  private onConnectionClosed(connection: Connection): void {
    if (connection !== this.connection) return;
    this.connection = null;
    if (this.closing !== null) return;
    this._state = 'SUSPENDED';
    this.scheduleAttempt(0);
    this.emit('state', 'SUSPENDED');
  }

  private onSessionExpired(): void {
    this._state = 'LOST';
    this.failWaiting((context) => new SessionExpiredError(context));
    this.emit('state', 'LOST');
  }

  private onNotification(event: WatchEvent): void {
    this.emit('watch', { ...event, path: toClientPath(this.chroot, event.path) });
  }
}

function toBuffer(data: Buffer | string | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
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

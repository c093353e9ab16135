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
import { authRequest, type AuthFailure, CredentialStore, toCredential } from './auth';
import { Connection, type OpenedConnection, type OutgoingRequest, type Reply } from './connection';
import {
  AuthFailedError,
  BadArgumentsError,
  CallAbortedError,
  CallTimeoutError,
  ClientClosedError,
  ConnectionLossError,
  errorFromCode,
  MarshallingError,
  NodeExistsError,
  NoNodeError,
  RequestTooLargeError,
  SessionExpiredError,
  type ZkError,
  type ZkErrorContext,
} from './errors';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { HostRotation, parseConnectString, type ResolveHost } from './hosts';
import { Transaction } from './multi';
import { multiReadDecoder, multiReadRequest, type ReadOp, type ReadResult } from './multi-read';
import { REPEATABLE_OPS, retryDelayMs } from './retry';
import {
  createProtected,
  deleteGuaranteed,
  deleteRecursive,
  ensurePath,
  type GuaranteedDeleteOptions,
  protectedPrefix,
} from './tree';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ReadOptions, type WatchHandle, type WatchListener, WatchRegistry } from './watches';
import { watchStream } from './watch-stream';
import { JuteDecodeError, type JuteReader, JuteWriter } from './jute';
import { toClientPath, toServerPath, validatePath } from './paths';
import {
  type ACL,
  type AddWatchMode,
  CreateMode,
  isEphemeral,
  isSequential,
  isTtl,
  KeeperState,
  OPEN_ACL_UNSAFE,
  OpCode,
  PROTOCOL_VERSION,
  readStat,
  REQUEST_HEADER_BYTES,
  SESSION_PASSWORD_LENGTH,
  type Stat,
  type WatchEvent,
  WatcherType,
} from './protocol';
import {
  readCreate2Response,
  readGetAclResponse,
  readGetChildren2Response,
  readGetChildrenResponse,
  readGetDataResponse,
  writeCreateRequest,
  writeCreateTtlRequest,
  writePathRequest,
  writePathVersionRequest,
  writePathWatchRequest,
  writeSetAclRequest,
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
  /**
   * A namespace: every path is under it (appended to a chroot in the connect string).
   * It is created, with its ancestors, when the client connects. Default: none.
   */
  root?: string;
  /**
   * The ACL of the `root` nodes the client creates (existing ones are left as they are).
   * Default OPEN_ACL_UNSAFE.
   */
  rootAcl?: readonly ACL[];
  /**
   * Credentials proved at connect, before the `root` is created (so that `rootAcl` may name
   * them), as `addAuth` would; a refused one makes `connect()` reject with AuthFailedError.
   */
  auth?: readonly { scheme: string; credentials: Buffer | string }[];
  /**
   * After LOST, make a new session at once (announced by a 'CONNECTED' event with a new
   * sessionId), as Curator and kazoo do. When false, the client stays LOST and every
   * request fails with SessionExpiredError. Default true.
   */
  newSessionAfterLost?: boolean;
  /**
   * Retries of the reads (exists, getData, getChildren, getACL, sync) that fail with
   * ConnectionLossError because the connection dropped while they were in flight.
   * Writes are never repeated behind the caller's back; see CreateOptions.protected.
   * Default { attempts: 3, baseDelayMs: 50, maxDelayMs: 1000 }; { attempts: 1 } disables.
   */
  retry?: RetryPolicy;
  /**
   * The pauses of reconnecting (review zk-client 1.5). The first attempt after a lost
   * connection or session waits a random 0 to firstJitterMs, so that the many clients of a
   * failed server do not all come back in the same millisecond; each failed attempt then
   * waits from baseDelayMs, doubling up to maxDelayMs, jittered. Default
   * DEFAULT_RECONNECT_BACKOFF: { firstJitterMs: 250, baseDelayMs: 50, maxDelayMs: 1000 },
   * about 10 attempts in the first 10 s of an outage, then one a second. On a loopback or
   * LAN lab, LAN_RECONNECT_BACKOFF is back within about 100 ms of a new leader.
   */
  reconnectBackoff?: Partial<ReconnectBackoff>;
  /** Stops `connect()` waiting for the first session: it rejects as on its timeout. */
  connectSignal?: AbortSignal;
  /**
   * Resolves a host name of the connect string to all of its addresses, each a server to
   * try. Default: the system resolver (getaddrinfo), every address.
   */
  resolveHost?: ResolveHost;
  /**
   * Connect with TLS, to the servers' secureClientPort (ZooKeeper 3.5+ with the Netty
   * connection factory): Node's TLS options, e.g. `{ ca }` to check the servers'
   * certificates, and `{ cert, key }` or `{ pfx, passphrase }` to present a client
   * certificate (the `x509` ACL scheme then names the session by its subject). The server's
   * certificate must name the host of the connect string (or its address).
   */
  tls?: TlsConnectionOptions;
}

/** See ZkClientOptions.reconnectBackoff. */
export interface ReconnectBackoff extends Backoff {
  firstJitterMs: number;
}

/**
 * The default reconnect pauses: gentle on an ensemble that thousands of clients share, as
 * the Java client (0 to 1 s before each attempt) and kazoo (exponential) are.
 */
export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = {
  firstJitterMs: 250,
  baseDelayMs: 50,
  maxDelayMs: 1000,
};

/**
 * Fast reconnects for a loopback or LAN ensemble with few clients (the lab's): an election
 * there takes a few hundred ms, and a client is back within about 100 ms of the new leader.
 */
export const LAN_RECONNECT_BACKOFF: ReconnectBackoff = {
  firstJitterMs: 0,
  baseDelayMs: 10,
  maxDelayMs: 100,
};

/** Exponential backoff bounds, in milliseconds. */
export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Bounded exponential backoff with full jitter. */
export interface RetryPolicy extends Backoff {
  /** Total tries, the first included. */
  attempts: number;
}

export type ZkClientState = 'CONNECTING' | 'CONNECTED' | 'SUSPENDED' | 'LOST' | 'CLOSED';
export type ZkStateEvent = 'CONNECTED' | 'SUSPENDED' | 'RECONNECTED' | 'LOST' | 'CLOSED';

export interface ZkClientEvents {
  state: [ZkStateEvent];
  /** A watch notification; `path` is relative to the chroot. */
  watch: [WatchEvent];
  /** A server refused credentials (addAuth, or kept ones sent again); they were dropped. */
  authFailed: [AuthFailure];
  /**
   * A listener of this client threw: of 'state', 'watch' or 'authFailed', or a watch
   * listener given to a read or addWatch ('watcher'). The error goes nowhere else: the
   * connection, the state machine and the other listeners go on. Without a listener of
   * this event, it is a process warning (`ZK_CLIENT_LISTENER_ERROR`).
   */
  listenerError: [ListenerError];
}

/** What `listenerError` reports. */
export interface ListenerError {
  source: 'state' | 'watch' | 'authFailed' | 'watcher';
  error: unknown;
}

/**
 * Limits of one call: the caller stops waiting on `signal` (CallAbortedError) or after
 * `timeoutMs` (CallTimeoutError), whichever comes first. Neither says what the server did:
 * a write already sent may still be applied; one still waiting for a connection is not sent.
 */
export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface CreateOptions extends RequestOptions {
  /** Default PERSISTENT. */
  mode?: CreateMode;
  /** Default OPEN_ACL_UNSAFE. */
  acl?: readonly ACL[];
  /** Required for the TTL modes (the server must run with extendedTypesEnabled). */
  ttlMs?: number;
  /**
   * Curator's protected mode: the node's name gets a unique prefix (`_c_<uuid>-`), so that
   * after a connection loss during the create the client can look for the node it may have
   * made before it tries again. A create never leaves two nodes, and never fails only
   * because the connection dropped. Use it for sequential nodes.
   */
  protected?: boolean;
}

const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const MIN_ATTEMPT_TIMEOUT_MS = 1_000;
const CLOSE_SESSION_WAIT_MS = 2_000;
const DEFAULT_MAX_REQUEST_BYTES = 0xfffff;
const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 50, maxDelayMs: 1000 };

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
  /** Credentials servers accepted, sent again on every new connection (auth.ts). */
  private readonly credentials = new CredentialStore();
  private readonly root: string;
  private readonly newSessionAfterLost: boolean;
  private readonly retryPolicy: RetryPolicy;
  private readonly reconnectBackoff: ReconnectBackoff;
  private readonly tls: TlsConnectionOptions | undefined;
  /** Why the last connection attempt failed, when the socket said (for connect()'s error). */
  private lastAttemptFailure: string | null = null;
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
  /** One-shot and persistent watches (watches.ts). */
  private readonly watches = new WatchRegistry({
    send: (request) => this.send(request),
    serverPath: (path) => this.serverPath(path),
    listenerThrew: (error) => this.listenerThrew('watcher', error),
  });

  /** Connects to the ensemble and resolves once the first session is CONNECTED. */
  static connect(options: ZkClientOptions): Promise<ZkClient> {
    let client: ZkClient;
    try {
      client = new ZkClient(options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const signal = options.connectSignal;
    return new Promise<ZkClient>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        client.off('state', onState);
        signal?.removeEventListener('abort', giveUp);
      };
      const onState = (event: ZkStateEvent): void => {
        if (event !== 'CONNECTED') return;
        finish();
        resolve(client);
      };
      // The connect string's servers did not give a session in time: why, in one line.
      const giveUp = (): void => {
        finish();
        void client.close();
        const last = client.lastAttemptFailure;
        reject(
          new ConnectionLossError(
            { op: 'connect', path: options.connectString },
            last === null ? undefined : `last attempt: ${last}`,
          ),
        );
      };
      const timer = setTimeout(giveUp, timeoutMs);
      if (signal?.aborted === true) return giveUp();
      signal?.addEventListener('abort', giveUp, { once: true });
      client.on('state', onState);
      client.scheduleAttempt(0);
    }).then(async (client) => {
      try {
        for (const { scheme, credentials } of options.auth ?? []) {
          await client.addAuth(scheme, credentials);
        }
      } catch (error) {
        await client.close();
        throw error;
      }
      if (client.root !== '') await client.ensureRoot(options.rootAcl ?? OPEN_ACL_UNSAFE);
      return client;
    });
  }

  private constructor(options: ZkClientOptions) {
    super();
    const parsed = parseConnectString(options.connectString);
    this.root = options.root === undefined || options.root === '/' ? '' : options.root;
    if (this.root !== '') validatePath(this.root, { op: 'connect' });
    this.chroot = parsed.chroot + this.root;
    this.hosts = new HostRotation(parsed.hosts, options.resolveHost);
    const timeout = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new BadArgumentsError(
        { op: 'connect' },
        `sessionTimeoutMs must be a positive integer, got ${timeout}`,
      );
    }
    this.requestedTimeoutMs = timeout;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.newSessionAfterLost = options.newSessionAfterLost ?? true;
    this.retryPolicy = options.retry ?? DEFAULT_RETRY;
    this.reconnectBackoff = { ...DEFAULT_RECONNECT_BACKOFF, ...options.reconnectBackoff };
    this.tls = options.tls;
    if (!Number.isInteger(this.retryPolicy.attempts) || this.retryPolicy.attempts < 1) {
      throw new BadArgumentsError({ op: 'connect' }, 'retry.attempts must be an integer >= 1');
    }
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
  /**
   * The session's password, for tools that must re-attach to this session (tests that
   * force an expiry do). Treat it as a secret.
   */
  get sessionPassword(): Buffer {
    return Buffer.from(this.password);
  }

  get lastZxidSeen(): bigint {
    return this._lastZxidSeen;
  }

  /** Creates a node and returns its path (with the sequence suffix for sequential modes). */
  async create(path: string, data?: Buffer | string, options: CreateOptions = {}): Promise<string> {
    if (options.protected === true) {
      validatePath(path, {
        sequential: isSequential(options.mode ?? CreateMode.PERSISTENT),
        op: 'create',
      });
      const unprotected = { ...options, protected: false };
      return createProtected(
        (target) => this.create(target, data, unprotected),
        this,
        path,
        protectedPrefix(),
        this.retryPolicy.attempts,
        isEphemeral(options.mode ?? CreateMode.PERSISTENT),
      );
    }
    return (await this.createWithStat(path, data, options)).path;
  }

  /**
   * Creates a node and returns its path and its Stat (create2): the czxid, the ctime, the
   * ephemeral owner, without a second read. Not for protected creates (`create` is): after
   * a connection loss, the node found by its prefix comes without its Stat.
   */
  async createWithStat(
    path: string,
    data?: Buffer | string,
    options: Omit<CreateOptions, 'protected'> = {},
  ): Promise<{ path: string; stat: Stat }> {
    const mode = options.mode ?? CreateMode.PERSISTENT;
    const context = { op: 'create', path };
    validatePath(path, { sequential: isSequential(mode), op: 'create' });
    if ((options as CreateOptions).protected === true) {
      throw new BadArgumentsError(context, 'createWithStat cannot make a protected create');
    }
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
      { opCode, body: body.view(), context },
      readCreate2Response,
      options,
    );
    return { path: toClientPath(this.chroot, created.path), stat: created.stat };
  }

  /** Deletes a node; `version` -1 matches any version. */
  async delete(path: string, version = -1, options: RequestOptions = {}): Promise<void> {
    validatePath(path, { op: 'delete' });
    const body = new JuteWriter();
    writePathVersionRequest(body, this.serverPath(path), version);
    await this.call(
      { opCode: OpCode.delete, body: body.view(), context: { op: 'delete', path } },
      () => {
        // DeleteResponse has no body.
      },
      options,
    );
  }

  /**
   * The node's Stat, or null when it does not exist. `watch` fires once on the node's next
   * NodeDataChanged or NodeDeleted, or, when it does not exist, on its NodeCreated.
   */
  async exists(path: string, options: ReadOptions = {}): Promise<Stat | null> {
    validatePath(path, { op: 'exists' });
    try {
      return await this.call(
        this.readRequest(OpCode.exists, 'exists', path, 'exists', options.watch),
        readStat,
        options,
      );
    } catch (error) {
      if (error instanceof NoNodeError) return null;
      throw error;
    }
  }

  /** The node's data and Stat. `watch` fires once on its next NodeDataChanged or NodeDeleted. */
  async getData(path: string, options: ReadOptions = {}): Promise<{ data: Buffer; stat: Stat }> {
    validatePath(path, { op: 'getData' });
    return this.call(
      this.readRequest(OpCode.getData, 'getData', path, 'data', options.watch),
      readGetDataResponse,
      options,
    );
  }

  /** Replaces the node's data; `version` -1 matches any version. Returns the new Stat. */
  async setData(
    path: string,
    data: Buffer | string,
    version = -1,
    options: RequestOptions = {},
  ): Promise<Stat> {
    validatePath(path, { op: 'setData' });
    const body = new JuteWriter();
    writeSetDataRequest(body, this.serverPath(path), toBuffer(data), version);
    return this.call(
      { opCode: OpCode.setData, body: body.view(), context: { op: 'setData', path } },
      readStat,
      options,
    );
  }

  /**
   * The names (not paths) of the node's children, in no particular order. `watch` fires
   * once on the next NodeChildrenChanged (a child created or deleted) or NodeDeleted.
   */
  async getChildren(path: string, options: ReadOptions = {}): Promise<string[]> {
    validatePath(path, { op: 'getChildren' });
    return this.call(
      this.readRequest(OpCode.getChildren, 'getChildren', path, 'child', options.watch),
      readGetChildrenResponse,
      options,
    );
  }

  /** The children's names with the parent's Stat, in one read (getChildren2). */
  async getChildrenWithStat(
    path: string,
    options: ReadOptions = {},
  ): Promise<{ children: string[]; stat: Stat }> {
    validatePath(path, { op: 'getChildren' });
    return this.call(
      this.readRequest(OpCode.getChildren2, 'getChildren', path, 'child', options.watch),
      readGetChildren2Response,
      options,
    );
  }

  /**
   * The paths of this session's ephemeral nodes whose path starts with `prefixPath` (a
   * string prefix, not only a subtree; "/" for all), relative to the chroot
   * (getEphemerals, ZooKeeper 3.6+).
   */
  async getEphemerals(prefixPath = '/', options: RequestOptions = {}): Promise<string[]> {
    validatePath(prefixPath, { op: 'getEphemerals' });
    const body = new JuteWriter();
    writePathRequest(body, this.serverPath(prefixPath));
    const paths = await this.call(
      {
        opCode: OpCode.getEphemerals,
        body: body.view(),
        context: { op: 'getEphemerals', path: prefixPath },
      },
      readGetChildrenResponse, // GetEphemeralsResponse: one vector of strings too
      options,
    );
    // Under a chroot "/c", the prefix "/" is "/c", which "/cd/x" also starts with.
    const root = this.chroot;
    const inChroot =
      root === '' ? paths : paths.filter((p) => p === root || p.startsWith(`${root}/`));
    return inChroot.map((p) => toClientPath(root, p)).sort();
  }

  /** How many nodes are under `path`, at every depth (getAllChildrenNumber, 3.6+). */
  async getAllChildrenNumber(path: string, options: RequestOptions = {}): Promise<number> {
    validatePath(path, { op: 'getAllChildrenNumber' });
    const body = new JuteWriter();
    writePathRequest(body, this.serverPath(path));
    return this.call(
      {
        opCode: OpCode.getAllChildrenNumber,
        body: body.view(),
        context: { op: 'getAllChildrenNumber', path },
      },
      (reader) => reader.readInt(),
      options,
    );
  }

  /**
   * Several getData and getChildren reads in one request (multiRead, ZooKeeper 3.6+),
   * one result per op in order. Each read fails on its own: its result holds the error
   * (NoNodeError, NoAuthError, …) and the others still answer. Sets no watches.
   */
  async multiRead(ops: readonly ReadOp[], options: RequestOptions = {}): Promise<ReadResult[]> {
    if (ops.length === 0) return [];
    return this.call(multiReadRequest(this.chroot, ops), multiReadDecoder(ops), options);
  }

  /**
   * A persistent watch (addWatch, ZooKeeper 3.6+): `listener` gets every change of the node
   * (PERSISTENT), or every create, delete and data change in its subtree
   * (PERSISTENT_RECURSIVE), in server order, until the handle is removed. It is kept across
   * reconnects of the session and gets a None event (Expired or Closed) when it ends.
   */
  addWatch(path: string, mode: AddWatchMode, listener: WatchListener): Promise<WatchHandle> {
    return this.watches.add(path, mode, listener);
  }

  /**
   * A persistent watch as an async iterator (see watch-stream.ts): set when the loop starts,
   * removed when it ends (break, `signal`, or the session's end: SessionExpiredError).
   */
  watchEvents(
    path: string,
    mode: AddWatchMode,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<WatchEvent, void, undefined> {
    return watchStream((p, m, l) => this.addWatch(p, m, l), path, mode, options.signal);
  }

  /**
   * Removes this client's watches of `type` on `path` (Data: data and exist watches;
   * Children: child watches; Any: those and the persistent ones); NoWatcherError if none.
   */
  removeAllWatches(path: string, type: WatcherType = WatcherType.Any): Promise<void> {
    return this.watches.removeAll(path, type);
  }

  /** An exists/getData/getChildren request; with a watch, registered as its reply is read. */
  private readRequest(
    opCode: number,
    op: string,
    path: string,
    read: 'exists' | 'data' | 'child',
    watch: WatchListener | undefined,
  ): OutgoingRequest {
    const askServer = watch !== undefined && this.watches.wantsServerWatch(path);
    const body = new JuteWriter();
    writePathWatchRequest(body, this.serverPath(path), askServer);
    return {
      opCode,
      body: body.view(),
      context: { op, path },
      onReply:
        watch === undefined ? undefined : this.watches.oneShotHook(path, read, watch, askServer),
    };
  }

  /** A transaction: its ops are applied all together or not at all (multi.ts). */
  multi(): Transaction {
    return new Transaction({
      chroot: this.chroot,
      call: (request, decode) => this.call(request, decode),
    });
  }

  /**
   * Proves an id to the server, e.g. addAuth('digest', 'user:password'). The credentials
   * are kept from this call on and sent again on every later connection, of this session
   * or a new one, before the requests that waited; so a ConnectionLossError here needs no
   * second call. Refused ones reject with AuthFailedError and are dropped (the server also
   * drops the connection; the client reconnects with its session).
   */
  async addAuth(scheme: string, credentials: Buffer | string): Promise<void> {
    const credential = toCredential(scheme, credentials);
    // Kept before it is sent: if the reply is lost with the connection, the next
    // connection sends it again, before the requests that wait (review zk-client 1.3).
    this.credentials.keep(credential);
    try {
      await this.call(authRequest(credential), () => undefined);
    } catch (error) {
      if (error instanceof AuthFailedError) {
        this.credentials.drop(credential);
        this.notify('authFailed', { scheme, error });
      }
      throw error;
    }
  }

  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    validatePath(path, { op: 'getACL' });
    const body = new JuteWriter();
    writePathRequest(body, this.serverPath(path));
    return this.call(
      { opCode: OpCode.getACL, body: body.view(), context: { op: 'getACL', path } },
      readGetAclResponse,
    );
  }

  /** Replaces the node's ACL; `version` (the ACL version, stat.aversion) -1 matches any. */
  async setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    const context = { op: 'setACL', path };
    validatePath(path, { op: 'setACL' });
    if (acl.length === 0) throw new BadArgumentsError(context, 'an empty ACL is not allowed');
    const body = new JuteWriter();
    writeSetAclRequest(body, this.serverPath(path), acl, version);
    return this.call({ opCode: OpCode.setACL, body: body.view(), context }, readStat);
  }

  /**
   * Waits until the server this client is on has caught up with the leader as of now, so
   * reads sent after it see every write committed before it.
   */
  async sync(path: string, options: RequestOptions = {}): Promise<void> {
    validatePath(path, { op: 'sync' });
    const body = new JuteWriter();
    writePathRequest(body, this.serverPath(path));
    await this.call(
      { opCode: OpCode.sync, body: body.view(), context: { op: 'sync', path } },
      () => undefined,
      options,
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

  /** Creates `path` and its missing ancestors as empty persistent nodes; keeps what exists. */
  ensurePath(path: string, acl?: readonly ACL[]): Promise<void> {
    validatePath(path, { op: 'ensurePath' });
    return ensurePath(this, path, acl);
  }

  /** Deletes `path` and its whole subtree; a missing node is not an error. */
  deleteRecursive(path: string): Promise<void> {
    validatePath(path, { op: 'deleteRecursive' });
    return deleteRecursive(this, path);
  }

  /**
   * Curator's guaranteed delete: tries again after a connection loss, and after a lost
   * session in the new one; a node already gone counts as deleted (see tree.ts).
   */
  deleteGuaranteed(path: string, options: GuaranteedDeleteOptions = {}): Promise<void> {
    validatePath(path, { op: 'delete' });
    return deleteGuaranteed(this, path, options);
  }

  /** Creates the `root` namespace and its ancestors (server paths, outside the chroot). */
  private async ensureRoot(acl: readonly ACL[]): Promise<void> {
    try {
      let path = '';
      for (const segment of this.chroot.slice(1).split('/')) {
        path += `/${segment}`;
        // Look first: a node that exists under a parent this client may not create in
        // would answer the create with NoAuth, not NodeExists.
        if (await this.serverNodeExists(path)) continue;
        const body = new JuteWriter();
        writeCreateRequest(body, path, Buffer.alloc(0), acl, CreateMode.PERSISTENT);
        try {
          await this.call(
            { opCode: OpCode.create, body: body.view(), context: { op: 'create', path } },
            () => undefined,
          );
        } catch (error) {
          if (!(error instanceof NodeExistsError)) throw error;
        }
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** exists() on a server path (outside the chroot), without a watch. */
  private async serverNodeExists(serverPath: string): Promise<boolean> {
    const body = new JuteWriter();
    writePathWatchRequest(body, serverPath, false);
    try {
      await this.call(
        {
          opCode: OpCode.exists,
          body: body.view(),
          context: { op: 'exists', path: serverPath },
        },
        readStat,
      );
      return true;
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }

  private async closeSession(): Promise<void> {
    if (this.attemptTimer !== null) clearTimeout(this.attemptTimer);
    this.attemptTimer = null;
    this.closeSignal.abort();
    this.clearLostTimer();
    this.failWaiting((context) => new ClientClosedError(context));
    this.watches.dropAll(KeeperState.Closed);

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
    this.notify('state', 'CLOSED');
  }

  private serverPath(path: string): string {
    return toServerPath(this.chroot, path);
  }

  /**
   * Sends a request and decodes its reply, turning error codes into ZkError subclasses.
   * With a `signal` or a `timeoutMs`, the caller stops waiting when either comes first
   * (CallAbortedError, CallTimeoutError): a request still waiting for a connection is then
   * not sent, a read is not repeated, and a one-shot watch of the read is not registered.
   */
  private call<T>(
    request: OutgoingRequest,
    decode: (reader: JuteReader) => T,
    options: RequestOptions = {},
  ): Promise<T> {
    const { signal, timeoutMs } = options;
    if (signal === undefined && timeoutMs === undefined) return this.exchange(request, decode);
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
      return Promise.reject(
        new BadArgumentsError(
          request.context,
          `timeoutMs must be a positive integer, got ${timeoutMs}`,
        ),
      );
    }
    if (signal?.aborted === true) {
      return Promise.reject(new CallAbortedError(request.context, signal.reason));
    }
    let abandoned = false;
    const onReply = request.onReply;
    const guarded: OutgoingRequest = {
      ...request,
      onReply: onReply === undefined ? undefined : (header) => abandoned || onReply(header),
    };
    return new Promise<T>((resolve, reject) => {
      const settle = (): boolean => {
        if (abandoned) return false;
        abandoned = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const giveUp = (error: ZkError): void => {
        if (!settle()) return;
        this.dropWaiting(guarded);
        reject(error);
      };
      const onAbort = (): void => giveUp(new CallAbortedError(request.context, signal?.reason));
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => giveUp(new CallTimeoutError(request.context, timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.exchange(guarded, decode, () => abandoned).then(
        (value) => settle() && resolve(value),
        (error: unknown) => settle() && reject(error as Error),
      );
    });
  }

  /** Takes a request that waits for a connection out of the queue: it will not be sent. */
  private dropWaiting(request: OutgoingRequest): void {
    const index = this.waiting.findIndex((entry) => entry.request === request);
    if (index < 0) return;
    const [entry] = this.waiting.splice(index, 1);
    clearTimeout(entry!.timer);
    entry!.reject(new CallAbortedError(request.context, 'dropped'));
  }

  /** call() without limits; a read is repeated unless `abandoned` says its caller left. */
  private async exchange<T>(
    request: OutgoingRequest,
    decode: (reader: JuteReader) => T,
    abandoned: () => boolean = () => false,
  ): Promise<T> {
    const tries = REPEATABLE_OPS.has(request.opCode) ? this.retryPolicy.attempts : 1;
    // A read is repeated within the session it was asked in, never into a new one: its
    // caller reasons about that session (its watches, its ephemerals, what it was given).
    const session = this._sessionId;
    let reply: Reply;
    for (let attempt = 1; ; attempt++) {
      try {
        reply = await this.send(request);
        break;
      } catch (error) {
        if (!(error instanceof ConnectionLossError) || attempt >= tries) throw error;
        await sleep(retryDelayMs(this.retryPolicy, attempt));
        if (abandoned()) throw error;
        if (session !== 0n && this._sessionId !== session) {
          throw new SessionExpiredError(request.context);
        }
      }
    }
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
    } catch (error) {
      this.lastAttemptFailure =
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
    this.restoreSession(connection, reattached);
    // Requests that waited go out before anything a state listener sends, keeping call order.
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      connection.submit(entry.request).then(entry.resolve, entry.reject);
    }
    this.notify('state', reattached ? 'RECONNECTED' : 'CONNECTED');
  }

  /**
   * Runs on every new connection, before the requests that waited for it: what the server
   * must be told again goes first, in this order, on the same pipelined connection.
   * - credentials (addAuth) are re-sent on every connection, of the same session or a new one;
   * - watches are re-registered (SetWatches2 from lastZxidSeen) when the same session
   *   re-attaches; a new session starts without them.
   */
  private restoreSession(connection: Connection, reattached: boolean): void {
    this.credentials.resend(connection, (failure) => this.notify('authFailed', failure));
    if (reattached) this.watches.restore(connection, this._lastZxidSeen);
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
    this.watches.onDisconnected();
    this.notify('state', 'SUSPENDED');
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
    this.watches.dropAll(KeeperState.Expired);
    // The next session is on its way before any listener hears of the loss.
    if (this.newSessionAfterLost && this.closing === null) {
      this.scheduleAttempt(this.firstDelayMs());
    }
    this.notify('state', 'LOST');
  }

  /**
   * Emits one of this client's events to each listener in turn; a listener that throws is
   * reported (listenerError) and stops neither the others nor the client. The raw
   * listeners: a `once` listener's wrapper removes it as emit() would.
   */
  private notify<K extends 'state' | 'watch' | 'authFailed'>(
    event: K,
    ...args: ZkClientEvents[K]
  ): void {
    for (const listener of this.rawListeners(event) as ((...a: ZkClientEvents[K]) => void)[]) {
      try {
        listener(...args);
      } catch (error) {
        this.listenerThrew(event, error);
      }
    }
  }

  private listenerThrew(source: ListenerError['source'], error: unknown): void {
    const report: ListenerError = { source, error };
    let told = false;
    for (const listener of this.rawListeners('listenerError') as ((e: ListenerError) => void)[]) {
      try {
        listener(report);
        told = true;
      } catch {
        // a reporter that throws reports nothing: the warning below says it
      }
    }
    if (!told) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.emitWarning(`a zk-client '${source}' listener threw: ${what}`, {
        code: 'ZK_CLIENT_LISTENER_ERROR',
      });
    }
  }

  private onNotification(event: WatchEvent): void {
    const clientEvent = { ...event, path: toClientPath(this.chroot, event.path) };
    this.watches.dispatch(clientEvent);
    this.notify('watch', clientEvent);
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

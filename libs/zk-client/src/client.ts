/**
 * ZkClient: one ZooKeeper session over a sequence of connections, and the operations on it.
 *
 * The session state machine (connection attempts, CONNECTED, SUSPENDED, LOST, a new
 * session, CLOSED, the requests that wait for a connection) is session.ts; the options,
 * states and events are client-options.ts. This file holds the operations: each builds its
 * request, sends it through the session, repeats a read after a connection loss in the
 * same session (retry.ts), and decodes the answer or turns its error code into a ZkError.
 * The states as a caller sees them are in the README ("Connection states").
 */
import { EventEmitter } from 'node:events';
import {
  type CreateOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_RECONNECT_BACKOFF,
  DEFAULT_RETRY,
  DEFAULT_SESSION_TIMEOUT_MS,
  type ListenerError,
  type RequestOptions,
  type RetryPolicy,
  type ZkClientEvents,
  type ZkClientOptions,
  type ZkClientState,
  type ZkStateEvent,
} from './client-options';
import { Session } from './session';
import { DispatchOrder } from './dispatch-order';
import { authRequest, CredentialStore, toCredential } from './auth';
import type { Connection, OutgoingRequest, Reply } from './connection';
import {
  AuthFailedError,
  BadArgumentsError,
  CallAbortedError,
  CallTimeoutError,
  ConnectionLossError,
  errorFromCode,
  MarshallingError,
  NodeExistsError,
  NoNodeError,
  SessionExpiredError,
  type ZkError,
} from './errors';
import { HostRotation, parseConnectString } from './hosts';
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
  OPEN_ACL_UNSAFE,
  OpCode,
  readStat,
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

export {
  DEFAULT_RECONNECT_BACKOFF,
  LAN_RECONNECT_BACKOFF,
  type Backoff,
  type CreateOptions,
  type ListenerError,
  type ReconnectBackoff,
  type RequestOptions,
  type RetryPolicy,
  type ZkClientEvents,
  type ZkClientOptions,
  type ZkClientState,
  type ZkStateEvent,
} from './client-options';

export class ZkClient extends EventEmitter<ZkClientEvents> {
  private readonly chroot: string;
  /** Credentials kept from addAuth, sent again on every new connection (auth.ts). */
  private readonly credentials = new CredentialStore();
  private readonly root: string;
  private readonly retryPolicy: RetryPolicy;
  /** Connections, the session and its states (session.ts). */
  private readonly session: Session;
  /**
   * Replies, watch events and state events reach the caller in arrival order
   * (dispatch-order.ts): an event read behind a reply waits until the reply was seen.
   */
  private readonly order = new DispatchOrder();
  /** One-shot and persistent watches (watches.ts). */
  private readonly watches = new WatchRegistry({
    send: (request) => this.session.send(request),
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
        const last = client.session.lastAttemptFailure;
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
      client.session.start();
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
    const timeout = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new BadArgumentsError(
        { op: 'connect' },
        `sessionTimeoutMs must be a positive integer, got ${timeout}`,
      );
    }
    this.retryPolicy = options.retry ?? DEFAULT_RETRY;
    if (!Number.isInteger(this.retryPolicy.attempts) || this.retryPolicy.attempts < 1) {
      throw new BadArgumentsError({ op: 'connect' }, 'retry.attempts must be an integer >= 1');
    }
    this.session = new Session(
      {
        hosts: new HostRotation(parsed.hosts, options.resolveHost),
        requestedTimeoutMs: timeout,
        maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
        newSessionAfterLost: options.newSessionAfterLost ?? true,
        reconnectBackoff: { ...DEFAULT_RECONNECT_BACKOFF, ...options.reconnectBackoff },
        tls: options.tls,
        order: this.order,
      },
      {
        restore: (connection, reattached, lastZxidSeen) =>
          this.restoreSession(connection, reattached, lastZxidSeen),
        // Behind the replies and events read before, if any still wait (dispatch-order.ts).
        onDisconnected: () => this.order.state(() => this.watches.onDisconnected()),
        onEnded: (state) => this.order.state(() => this.watches.dropAll(state)),
        onNotification: (event) => this.onNotification(event),
        announce: (state) => this.order.state(() => this.notify('state', state)),
      },
    );
  }

  get state(): ZkClientState {
    return this.session.state;
  }

  /** The session id, 0n before the first session. */
  get sessionId(): bigint {
    return this.session.sessionId;
  }

  /** The session timeout the server granted, 0 before the first session. */
  get negotiatedTimeoutMs(): number {
    return this.session.negotiatedTimeoutMs;
  }

  /**
   * The session's password, for tools that must re-attach to this session (tests that
   * force an expiry do). Treat it as a secret.
   */
  get sessionPassword(): Buffer {
    return this.session.sessionPassword;
  }

  /** The highest zxid seen in a reply; sent on reconnect so no server with older state is used. */
  get lastZxidSeen(): bigint {
    return this.session.lastZxidSeen;
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
    return this.session.close();
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
        this.session.dropWaiting(guarded);
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

  /** call() without limits; a read is repeated unless `abandoned` says its caller left. */
  private async exchange<T>(
    request: OutgoingRequest,
    decode: (reader: JuteReader) => T,
    abandoned: () => boolean = () => false,
  ): Promise<T> {
    const tries = REPEATABLE_OPS.has(request.opCode) ? this.retryPolicy.attempts : 1;
    // A read is repeated within the session it was asked in, never into a new one: its
    // caller reasons about that session (its watches, its ephemerals, what it was given).
    const session = this.session.sessionId;
    let reply: Reply;
    for (let attempt = 1; ; attempt++) {
      try {
        reply = await this.session.send(request);
        break;
      } catch (error) {
        if (!(error instanceof ConnectionLossError) || attempt >= tries) throw error;
        await sleep(retryDelayMs(this.retryPolicy, attempt));
        if (abandoned()) throw error;
        if (session !== 0n && this.session.sessionId !== session) {
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

  /**
   * Runs on every new connection, before the requests that waited for it: what the server
   * must be told again goes first, in this order, on the same pipelined connection.
   * - credentials (addAuth) are re-sent on every connection, of the same session or a new one;
   * - watches are re-registered (SetWatches2 from lastZxidSeen) when the same session
   *   re-attaches; a new session starts without them.
   */
  private restoreSession(connection: Connection, reattached: boolean, lastZxidSeen: bigint): void {
    this.credentials.resend(connection, (failure) => this.notify('authFailed', failure));
    if (reattached) this.watches.restore(connection, lastZxidSeen);
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

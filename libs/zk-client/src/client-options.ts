/**
 * What a ZkClient is made with and what it announces: its options and their defaults, its
 * states and events, and the option bags of its calls.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { AuthFailure } from './auth';
import type { ResolveHost } from './hosts';
import type { ACL, CreateMode, WatchEvent } from './protocol';

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

export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_REQUEST_BYTES = 0xfffff;
export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 50, maxDelayMs: 1000 };

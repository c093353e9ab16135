/**
 * What a link does to the connections it carries. Each mode models one network fault:
 *
 * - `pass`: nothing; bytes flow both ways as they come (a healthy network; `heal`).
 * - `partition`: a network split. Bytes are neither forwarded nor refused: both sockets of
 *   every connection stop being read, so the senders' buffers fill and they block, as when
 *   packets are silently lost. A close or reset from either side is not passed across (a FIN
 *   does not cross a real split either). New connections are accepted but not connected
 *   onward until heal. On heal, held bytes flow again, held closes are passed on and held
 *   connections connect onward: what a peer sees then is what it would see after a split
 *   that healed before TCP gave up.
 * - `reset`: a one-shot cut. Every current connection is reset at once, both sides (RST);
 *   the link then goes back to `pass`, so clients can reconnect at once. It models a
 *   middlebox or peer dropping connections, not a lasting outage (use `partition`).
 * - `delay`: a slow network. Every chunk is forwarded `ms` later, in each direction, in
 *   order.
 */
export type LinkMode =
  { kind: 'pass' } | { kind: 'partition' } | { kind: 'reset' } | { kind: 'delay'; ms: number };

/** The mode a link can be in between calls (`reset` is momentary and leaves it in `pass`). */
export type SteadyLinkMode = Exclude<LinkMode, { kind: 'reset' }>;

/**
 * What the link carries, which decides what the proxy reads of it:
 *
 * - `zk-client`: the ZooKeeper client protocol (length-prefixed frames). The proxy tracks
 *   frame boundaries so that `dropNextReply` can work; a connection that does not look
 *   framed (a four-letter word) is relayed untouched.
 * - `zk-election`: a server-to-server leader-election link (QuorumCnxManager). The initial
 *   message of each connection is rewritten to the old form (the sender's id alone), which
 *   drops the election address the sender advertises: otherwise a server that receives a
 *   connection from a lower id connects back to that advertised, real port, around the
 *   proxy, and a partition would not hold. Without it, the receiver connects back through
 *   its own view of the peer: its own proxy link.
 * - `raw`: bytes only (the quorum port: followers to their leader).
 */
export type LinkProtocol = 'zk-client' | 'zk-election' | 'raw';

export interface LinkOptions {
  /** The port on 127.0.0.1 that connections are relayed to. */
  targetPort: number;
  /** The port to listen on; a free one when absent. */
  listenPort?: number;
  /**
   * The loopback address to listen on, default 127.0.0.1. Another one (127.0.0.2, …) lets
   * links share a port, as the addresses of one DNS name do.
   */
  listenHost?: string;
  /** Default `zk-client`. */
  protocol?: LinkProtocol;
}

export interface LinkAddress {
  name: string;
  listenPort: number;
  targetPort: number;
}

export interface LinkInfo extends LinkAddress {
  protocol: LinkProtocol;
  mode: SteadyLinkMode;
  /** Connections accepted and not yet closed (held ones included). */
  connections: number;
  /** Whether a `dropNextReply` waits for its request on this link. */
  dropArmed: boolean;
}

/** A reply the proxy dropped, and the request it answered. */
export interface DroppedReply {
  xid: number;
  opType: number;
}

/**
 * ZooKeeper request op types (ZooDefs.OpCode), for `dropNextReply` and `holdNextReply`.
 * The create family is every create request: create, create2, createContainer, createTTL.
 */
export const ZkOpType = {
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  setACL: 7,
  check: 13,
  multi: 14,
  create2: 15,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  /** addAuth (its request and reply have the reserved xid -4). */
  auth: 100,
} as const;

export const CREATE_OP_TYPES: readonly number[] = [
  ZkOpType.create,
  ZkOpType.create2,
  ZkOpType.createContainer,
  ZkOpType.createTTL,
];

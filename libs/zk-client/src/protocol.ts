/**
 * Constants and small records of the ZooKeeper 3.8 client protocol
 * (zookeeper.jute, ZooDefs.java, Watcher.java).
 */
import type { JuteReader, JuteWriter } from './jute';

/** Request types (ZooDefs.OpCode). */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

/** Reserved xids: replies with these are not answers to numbered requests. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

/** The protocol version sent in ConnectRequest. */
export const PROTOCOL_VERSION = 0;

/** Session password length the server hands out. */
export const SESSION_PASSWORD_LENGTH = 16;

/** A request's RequestHeader on the wire: xid and op code, 4 bytes each. */
export const REQUEST_HEADER_BYTES = 8;

/** Node creation modes (CreateMode.java flags). */
export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;
export type CreateMode = (typeof CreateMode)[keyof typeof CreateMode];

export function isSequential(mode: CreateMode): boolean {
  return (
    mode === CreateMode.PERSISTENT_SEQUENTIAL ||
    mode === CreateMode.EPHEMERAL_SEQUENTIAL ||
    mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL
  );
}

export function isEphemeral(mode: CreateMode): boolean {
  return mode === CreateMode.EPHEMERAL || mode === CreateMode.EPHEMERAL_SEQUENTIAL;
}

export function isTtl(mode: CreateMode): boolean {
  return (
    mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL
  );
}

/** ACL permission bits (ZooDefs.Perms). */
export const Perms = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;

export interface Id {
  scheme: string;
  id: string;
}

export interface ACL {
  perms: number;
  id: Id;
}

export const ANYONE_ID_UNSAFE: Id = Object.freeze({ scheme: 'world', id: 'anyone' });
export const AUTH_IDS: Id = Object.freeze({ scheme: 'auth', id: '' });

/** Anyone may do anything. */
export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  Object.freeze({ perms: Perms.ALL, id: ANYONE_ID_UNSAFE }),
]);
/** Only the creator's authenticated ids may do anything. */
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([
  Object.freeze({ perms: Perms.ALL, id: AUTH_IDS }),
]);
/** Anyone may read. */
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  Object.freeze({ perms: Perms.READ, id: ANYONE_ID_UNSAFE }),
]);

export function writeAcl(writer: JuteWriter, acl: ACL): void {
  writer.writeInt(acl.perms).writeString(acl.id.scheme).writeString(acl.id.id);
}

export function readAcl(reader: JuteReader): ACL {
  const perms = reader.readInt();
  const scheme = reader.readString();
  const id = reader.readString();
  return { perms, id: { scheme, id } };
}

/** Watch event types (Watcher.Event.EventType). */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Session states as the server reports them in watch events (Watcher.Event.KeeperState). */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  NoSyncConnected: 1,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;
export type KeeperState = (typeof KeeperState)[keyof typeof KeeperState];

/** A notification as it arrives (xid -1); path is relative to the server root. */
export interface WatchEvent {
  type: number;
  state: number;
  path: string;
}

export function readWatchEvent(reader: JuteReader): WatchEvent {
  const type = reader.readInt();
  const state = reader.readInt();
  const path = reader.readNullableString() ?? '';
  return { type, state, path };
}

/** A znode's metadata. zxids and times are longs; times are milliseconds since the epoch. */
export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  /** The owning session of an ephemeral node, 0n otherwise. */
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export function readStat(reader: JuteReader): Stat {
  return {
    czxid: reader.readLong(),
    mzxid: reader.readLong(),
    ctime: reader.readLong(),
    mtime: reader.readLong(),
    version: reader.readInt(),
    cversion: reader.readInt(),
    aversion: reader.readInt(),
    ephemeralOwner: reader.readLong(),
    dataLength: reader.readInt(),
    numChildren: reader.readInt(),
    pzxid: reader.readLong(),
  };
}

/** The header of every reply after the handshake. */
export interface ReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}

export function readReplyHeader(reader: JuteReader): ReplyHeader {
  return { xid: reader.readInt(), zxid: reader.readLong(), err: reader.readInt() };
}

/** Modes of a persistent watch set with addWatch (AddWatchMode.java). */
export const AddWatchMode = {
  /** Fires on every change of the node itself: data, existence and child list. */
  PERSISTENT: 0,
  /** Fires on every create, delete and data change of the node and its descendants. */
  PERSISTENT_RECURSIVE: 1,
} as const;
export type AddWatchMode = (typeof AddWatchMode)[keyof typeof AddWatchMode];

/** Which watches removeWatches removes (Watcher.WatcherType; 3.8 servers know no other). */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
} as const;
export type WatcherType = (typeof WatcherType)[keyof typeof WatcherType];

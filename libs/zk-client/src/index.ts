export {
  ZkClient,
  DEFAULT_RECONNECT_BACKOFF,
  LAN_RECONNECT_BACKOFF,
  type ReconnectBackoff,
  type CreateOptions,
  type RequestOptions,
  type Backoff,
  type RetryPolicy,
  type ZkClientEvents,
  type ZkClientOptions,
  type ZkClientState,
  type ZkStateEvent,
  type ListenerError,
} from './client';
export { type GuaranteedDeleteOptions } from './tree';
export { resolveWithDns, type Endpoint, type ResolveHost } from './hosts';
export { dataOf, type ReadOp, type ReadResult } from './multi-read';
export * from './errors';
export {
  MultiError,
  Transaction,
  type MultiCreateOptions,
  type MultiOpType,
  type MultiOutcome,
  type MultiResult,
} from './multi';
export { digestAcl, digestId, type AuthFailure } from './auth';
export {
  type ACL,
  AddWatchMode,
  ANYONE_ID_UNSAFE,
  AUTH_IDS,
  CREATOR_ALL_ACL,
  CreateMode,
  EventType,
  type Id,
  KeeperState,
  OPEN_ACL_UNSAFE,
  Perms,
  READ_ACL_UNSAFE,
  type Stat,
  type WatchEvent,
  WatcherType,
  isSequential,
  isTtl,
} from './protocol';
export { baseName, childPath, parentPath, validatePath } from './paths';
export { type ReadOptions, type WatchHandle, type WatchListener } from './watches';
export { JuteDecodeError, JuteReader, JuteWriter } from './jute';

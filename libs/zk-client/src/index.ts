export {
  ZkClient,
  type CreateOptions,
  type ZkClientEvents,
  type ZkClientOptions,
  type ZkClientState,
  type ZkStateEvent,
} from './client';
export * from './errors';
export {
  type ACL,
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
  isSequential,
  isTtl,
} from './protocol';
export { validatePath } from './paths';
export { JuteDecodeError, JuteReader, JuteWriter } from './jute';

export {
  PersistentNode,
  type PersistentNodeEvents,
  type PersistentNodeOptions,
} from './persistent-node';
export { GroupMember, type GroupMemberEvents } from './group-member';
export {
  InvalidMemberIdError,
  NodeClosedError,
  NodeConflictError,
  UnsupportedNodeModeError,
} from './errors';

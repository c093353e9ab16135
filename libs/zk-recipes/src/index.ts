// The recipes, built on @zk-lab/zk-client. See README.md for one example per recipe.
export { Lifecycle, RecipeStateError, type RecipeState } from './common/lifecycle';
export { RecipeClosedError, RecipeTimeoutError } from './common/errors';
export { endsHolding, type ConnectionPolicy } from './common/connection-policy';
export {
  DistributedLock,
  LockAbortedError,
  LockClosedError,
  LockError,
  LockLostError,
  LockTimeoutError,
  MultiLock,
  ReadWriteLock,
  Semaphore,
  type DistributedLockOptions,
  type LockAcquireOptions,
  type LockEvents,
  type LockLease,
  type LossReason,
  type MultiLockLease,
  type MultiLockOptions,
  type ReadWriteLockOptions,
  type SemaphoreOptions,
} from './locks';
export {
  LeaderElection,
  type ElectedLeadership,
  type LeaderElectionEvents,
  type LeaderElectionOptions,
  type LeadershipEnd,
  type LeadershipFunction,
} from './leader/leader-election';
export {
  LeaderLatch,
  type AwaitLeadershipOptions,
  type LeaderLatchEvents,
  type LeaderLatchOptions,
  type Leadership,
  type Revocation,
} from './leader/leader-latch';
export {
  LeadershipLostError,
  LeadershipTimeoutError,
  type RevocationReason,
} from './leader/errors';
export { type Participant } from './leader/participants';
export { Barrier } from './barriers/barrier';
export {
  DoubleBarrier,
  DoubleBarrierPhaseError,
  type DoubleBarrierOptions,
  type DoubleBarrierPhase,
} from './barriers/double-barrier';
export { type BarrierWaitOptions } from './barriers/wait-options';
export {
  DEFAULT_MAX_DEPTH,
  DistributedQueue,
  type DistributedQueueOptions,
  type QueueItem,
  type QueueItemState,
  type TakeOptions,
} from './queue/distributed-queue';
export { ClaimLostError, QueueClosedError, QueueFullError } from './queue/errors';
export {
  CounterDataError,
  CounterVersionError,
  SharedCounter,
  type SharedCounterEvents,
  type VersionedValue,
} from './shared/shared-counter';
export { AtomicLong, type AtomicLongOptions, type AtomicValue } from './shared/atomic-long';
export {
  CacheListenerError,
  ChildrenCache,
  NodeCache,
  TreeCache,
  type CacheChangeType,
  type CacheEvents,
  type ChildData,
} from './cache';
export {
  InvalidServiceInstanceError,
  InvalidServiceNameError,
  RegistrationConflictError,
  ServiceDiscovery,
  ServiceRegistry,
  type JsonValue,
  type RegistrationKey,
  type ServiceDiscoveryEvents,
  type ServiceDiscoveryOptions,
  type ServiceInstance,
  type ServiceInstanceSpec,
  type ServiceRegistryEvents,
  type ServiceRegistryOptions,
} from './discovery';
export {
  GroupMember,
  InvalidMemberIdError,
  NodeClosedError,
  NodeConflictError,
  PersistentNode,
  UnsupportedNodeModeError,
  type GroupMemberEvents,
  type PersistentNodeEvents,
  type PersistentNodeOptions,
} from './nodes';

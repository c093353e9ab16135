export { DistributedLock, type DistributedLockOptions, type LockEvents } from './distributed-lock';
export {
  LockAbortedError,
  LockClosedError,
  LockError,
  LockLostError,
  LockTimeoutError,
  type LossReason,
} from './errors';
export type { LockLease } from './lease';
export type { AcquireOptions as LockAcquireOptions } from './lock-internals';
export type { MultiLockLease } from './multi-lease';
export { MultiLock, type MultiLockOptions } from './multi-lock';
export { ReadWriteLock, type ReadWriteLockOptions } from './read-write-lock';
export { Semaphore, type SemaphoreOptions } from './semaphore';

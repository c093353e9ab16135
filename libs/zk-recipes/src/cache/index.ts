export { NodeCache } from './node-cache';
export { ChildrenCache } from './children-cache';
export { TreeCache } from './tree-cache';
export type { CacheChangeType, CacheEvents, ChildData } from './events';
export { CacheListenerError } from './errors';

// The shared contract of the master-worker apps. Framework-free: no NestJS here.
export * from './namespace';
export * from './jobs';
export * from './config';
export * from './config-watcher';
export * from './config-history';
export * from './credentials';
export * from './connection';
export * from './zookeeper-unreachable';
export { ensureSystemParents } from './namespace-setup';
export * from './service';

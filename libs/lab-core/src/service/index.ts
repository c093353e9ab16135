// Framework-free pieces the two services (master and worker) share.
export * from './metrics';
export * from './logging';
export * from './shutdown';
export * from './service-args';

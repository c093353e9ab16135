export {
  ServiceRegistry,
  RegistrationConflictError,
  type RegistrationKey,
  type ServiceRegistryEvents,
  type ServiceRegistryOptions,
} from './service-registry';
export {
  ServiceDiscovery,
  type ServiceDiscoveryEvents,
  type ServiceDiscoveryOptions,
} from './service-discovery';
export {
  InvalidServiceInstanceError,
  InvalidServiceNameError,
  type JsonValue,
  type ServiceInstance,
  type ServiceInstanceSpec,
} from './service-instance';

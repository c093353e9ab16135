export * from './errors';
export { FaultProxy } from './fault-proxy';
export {
  CREATE_OP_TYPES,
  ZkOpType,
  type DroppedReply,
  type LinkAddress,
  type LinkInfo,
  type LinkMode,
  type LinkOptions,
  type LinkProtocol,
  type SteadyLinkMode,
} from './modes';
export {
  FaultProxyControl,
  isDaemon,
  spawnFaultProxyDaemon,
  type ArmedDrop,
  type SpawnDaemonOptions,
} from './control';

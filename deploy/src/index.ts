export {
  Ensemble,
  EnsembleRunningError,
  EnsembleStartError,
  NoFaultProxyError,
  serverLinkName,
  NoEnsembleError,
  ServerStateError,
  type EnsembleNode,
  type EnsembleOptions,
  type NodeStatus,
} from './ensemble';
export {
  fourLetterWord,
  FourLetterWordTimeoutError,
  isNotServing,
  parseMntr,
  parseMntrReport,
  parseSrvr,
  parseWchc,
  parseWchs,
  parseZxid,
  refusedWord,
  type FourLetterWord,
  type MntrReport,
  type ServerMode,
  type SrvrReport,
  type Zxid,
} from './four-letter-words';
export { freePorts } from './ports';
export { renderZooConfig, type NodePorts } from './zoo-config';
export {
  ensureZooKeeper,
  findZooKeeper,
  ZooKeeperNotFoundError,
  type ZooKeeperInstall,
} from './zookeeper-install';
export * from './fault-proxy';
export { DebianPackageError, ensureProgram } from './debian-packages';
export { clientSubject, makeTlsMaterial, type TlsMaterial } from './tls-material';
export {
  CONTAINER_PORTS,
  ZOOKEEPER_IMAGE,
  zooKeeperContainerSettings,
  type ZooKeeperContainerOptions,
  type ZooKeeperContainerSettings,
} from './zookeeper-containers';

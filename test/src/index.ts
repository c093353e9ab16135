export { SHARED_CONNECT_ENV, TEST_TICK_TIME_MS } from './harness/constants';
export {
  sharedConnectString,
  testRoot,
  usePrivateEnsemble,
  type PrivateEnsemble,
} from './harness/ensembles';
export { serverOfSession, waitFor } from './harness/waiting';
export {
  registeredWatchPaths,
  serverWatchesOf,
  serverWatchesUnder,
} from './harness/server-watches';
export { useFaultProxy, ZkOpType } from './harness/fault-proxies';
export {
  AppProcess,
  appMain,
  useApps,
  type AppName,
  type AppRunner,
  type Exit,
  type LogLine,
  type RunOptions,
  type RunResult,
} from './harness/app-processes';
export { readLedger, violations, waitForSettled, type Ledger } from './harness/job-ledger';
export { Terminal, useTerminals, type TerminalOptions } from './harness/terminals';
export { APP_SESSION_TIMEOUT_MS, useLabSystem, type LabSystem } from './harness/lab-system';
export { screenshotDir, useBrowser, type OpenedPage, type PageOptions } from './harness/browsers';

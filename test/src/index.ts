export { SHARED_CONNECT_ENV, TEST_TICK_TIME_MS } from './harness/constants';
export {
  sharedConnectString,
  testRoot,
  usePrivateEnsemble,
  type PrivateEnsemble,
} from './harness/ensembles';
export { serverOfSession, waitFor } from './harness/waiting';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// A relative import: jest loads its global setup outside any project, without moduleNameMapper.
import { Ensemble } from '../../../deploy/src';
import { SHARED_CONNECT_ENV, TEST_TICK_TIME_MS } from './constants';

declare global {
  var __zkLabSharedEnsemble: Ensemble | undefined;
}

/**
 * Starts the 3-node ensemble that every ordinary test file of the run shares (each under
 * a root path of its own). Its servers are children of the jest process; a watchdog
 * kills them if jest dies without running the teardown.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const ensemble = await Ensemble.start({
    stateDir: mkdtempSync(join(tmpdir(), 'zk-lab-shared-')),
    size: 3,
    tickTimeMs: TEST_TICK_TIME_MS,
    heapMb: 512,
  });
  globalThis.__zkLabSharedEnsemble = ensemble;
  process.env[SHARED_CONNECT_ENV] = ensemble.connectString();
  process.stderr.write(
    `\nshared ZooKeeper ensemble: ${ensemble.connectString()} (up in ${Date.now() - started} ms)\n`,
  );
}

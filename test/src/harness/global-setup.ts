import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// A relative import: jest loads its global setup outside any project, without moduleNameMapper.
import { Ensemble } from '../../../deploy/src';
import { SHARED_CONNECT_ENV, TEST_TICK_TIME_MS } from './constants';
import { startDockerEnsemble } from './docker-ensemble';
import { chooseBackend } from './ensemble-backend';

declare global {
  /** The shared ensemble, process or containers: global-teardown stops it. */
  var __zkLabSharedEnsemble: { stop(): Promise<void> } | undefined;
}

/**
 * Starts the 3-node ensemble that every ordinary test file of the run shares (each under
 * a root path of its own), on the backend ZK_LAB_BACKEND chooses (ensemble-backend.ts):
 * server processes, children of the jest process that a watchdog kills if jest dies without
 * running the teardown, or containers (testcontainers' reaper removes them then). Test files
 * that kill or pause servers start process ensembles of their own in either case.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const backend = await chooseBackend();
  process.stderr.write(`\nZooKeeper backend: ${backend.kind} (${backend.reason})\n`);
  let connectString: string;
  if (backend.kind === 'docker') {
    const ensemble = await startDockerEnsemble({
      size: 3,
      tickTimeMs: TEST_TICK_TIME_MS,
      heapMb: 512,
    });
    globalThis.__zkLabSharedEnsemble = ensemble;
    connectString = ensemble.connectString;
  } else {
    const ensemble = await Ensemble.start({
      stateDir: mkdtempSync(join(tmpdir(), 'zk-lab-shared-')),
      size: 3,
      tickTimeMs: TEST_TICK_TIME_MS,
      heapMb: 512,
    });
    globalThis.__zkLabSharedEnsemble = ensemble;
    connectString = ensemble.connectString();
  }
  process.env[SHARED_CONNECT_ENV] = connectString;
  process.stderr.write(
    `shared ZooKeeper ensemble: ${connectString} (up in ${Date.now() - started} ms)\n`,
  );
}

import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Ensemble, type EnsembleOptions } from '@zk-lab/deploy';
import { SHARED_CONNECT_ENV, TEST_TICK_TIME_MS } from './constants';

/** The connect string of the run's shared 3-node ensemble. Do not kill or pause its servers. */
export function sharedConnectString(): string {
  const connect = process.env[SHARED_CONNECT_ENV];
  if (!connect) {
    throw new Error(
      `${SHARED_CONNECT_ENV} is not set: run the tests through jest.config.js (npm test), ` +
        'whose global setup starts the shared ensemble',
    );
  }
  return connect;
}

/**
 * A root path of this test file's own, e.g. `/t-lock.test-3f9a1c`, so test files that share
 * the ensemble never see each other's znodes. Call it once per file (in describe or beforeAll).
 */
export function testRoot(): string {
  const testPath = expect.getState().testPath ?? 'unknown';
  const name = basename(testPath)
    .replace(/\.ts$/, '')
    .replace(/[^A-Za-z0-9_.-]/g, '_');
  return `/t-${name}-${randomBytes(3).toString('hex')}`;
}

/** A handle on an ensemble of this test file's own, available from beforeAll on. */
export interface PrivateEnsemble {
  readonly ensemble: Ensemble;
  readonly connectString: string;
}

/**
 * Gives a destructive test file (one that kills or pauses servers) an ensemble of its own:
 * started in beforeAll, stopped in afterAll whatever the tests did, and killed by the
 * watchdog if the jest worker dies first.
 */
export function usePrivateEnsemble(
  options: Omit<EnsembleOptions, 'stateDir'> = {},
): PrivateEnsemble {
  let ensemble: Ensemble | undefined;
  beforeAll(async () => {
    ensemble = await Ensemble.start({
      size: 3,
      tickTimeMs: TEST_TICK_TIME_MS,
      heapMb: 256,
      ...options,
      stateDir: mkdtempSync(join(tmpdir(), 'zk-lab-private-')),
    });
  }, 60_000);
  afterAll(async () => {
    await ensemble?.stop();
  }, 30_000);
  const get = (): Ensemble => {
    if (!ensemble) throw new Error('the private ensemble is available from beforeAll on');
    return ensemble;
  };
  return {
    get ensemble() {
      return get();
    },
    get connectString() {
      return get().connectString();
    },
  };
}

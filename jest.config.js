// One jest run, one shared 3-node ZooKeeper ensemble (global setup), every project's tests.
// A project's own `test` target runs this same config with --selectProjects.
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const projectDirs = ['libs/zk-client', 'libs/zk-recipes', 'libs/lab-core', 'deploy', 'test'].concat(
  readdirSync(join(__dirname, 'apps')).map((app) => `apps/${app}`),
);

const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
  },
];

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/src/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/src/harness/global-teardown.ts',
  transform: { '^.+\\.ts$': swc },
  testTimeout: 60_000,
  // On 2 cores jest runs one file at a time, and with one worker it would run them all in its
  // own process ("in band"), where each file's modules stay behind: the heap grows about
  // 7 MB a file, and one clean-clone run reached node's 4 GB limit and aborted (its 84th
  // file, scale.test.ts, adds 200,000 names). A memory limit makes jest run the files in a
  // worker process instead, and start a fresh one whenever a file leaves it above the limit.
  // At 1 GB a worker still lived 700 s and scale.test.ts (200,000 names, 100,000 pipelined
  // creates) took it past 4 GB; 512 MB keeps the base low, and `npm test` gives node 6 GB.
  workerIdleMemoryLimit: '512MB',
  // Jest exits with process.exit once the teardown is done. Two CI runs on Node 20 hung for
  // good after "Ran all test suites": the main process spun in node's own exit path
  // (Environment::CleanupHandles, 100 % CPU, no syscall) on one TCP handle, with every test,
  // server and app already gone. process.exit does not take that path. The teardown still
  // names any socket or server left open in this process, so a leak is not hidden.
  forceExit: true,
  projects: projectDirs
    .filter((dir) => existsSync(join(__dirname, dir, 'package.json')))
    .map((dir) => ({
      displayName: require(join(__dirname, dir, 'package.json')).name,
      rootDir: join(__dirname, dir),
      testEnvironment: 'node',
      testMatch: ['<rootDir>/src/**/*.test.ts'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper: {
        '^@zk-lab/zk-client$': join(__dirname, 'libs/zk-client/src/index.ts'),
        '^@zk-lab/zk-recipes$': join(__dirname, 'libs/zk-recipes/src/index.ts'),
        '^@zk-lab/lab-core$': join(__dirname, 'libs/lab-core/src/index.ts'),
        '^@zk-lab/deploy$': join(__dirname, 'deploy/src/index.ts'),
        '^@zk-lab/test$': join(__dirname, 'test/src/index.ts'),
      },
    })),
};

/**
 * The config updater as the user runs it: the built CLI as a real process (through the
 * shared harness) against the shared ensemble, and in-process clients to check its work.
 */
import { connectToNamespace, loadCredentials, resolveConnection } from '@zk-lab/lab-core';
import { type RunResult, sharedConnectString, useApps } from '@zk-lab/test';
import type { ZkClient } from '@zk-lab/zk-client';

export interface CliOptions {
  root: string;
  env?: Record<string, string>;
  stdin?: string;
}

export interface ConfigCli {
  /** Runs one command line under `root` to its end (killed after 30 s). */
  runCli: (args: string[], options: CliOptions) => Promise<RunResult>;
  /** `get --json`, parsed; fails the test when it does not exit 0. */
  getJson: (root: string) => Promise<Record<string, unknown>>;
}

/** The CLI for this test file: every process it starts is killed when the file ends. */
export function useConfigCli(): ConfigCli {
  const apps = useApps(() => ({ ZK_CONNECT: sharedConnectString(), FORCE_COLOR: '0' }));
  const runCli: ConfigCli['runCli'] = (args, { root, env = {}, stdin }) =>
    apps.run('config-updater', args, { env: { ZK_ROOT: root, ...env }, stdin, timeoutMs: 30_000 });
  return {
    runCli,
    async getJson(root) {
      const result = await runCli(['get', '--json'], { root });
      if (result.code !== 0) throw new Error(`get failed (${result.code}): ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    },
  };
}

/** An in-process client on the test's namespace, as the app or admin identity. */
export function connectAs(role: 'master' | 'admin', root: string): Promise<ZkClient> {
  const settings = resolveConnection({ connect: sharedConnectString(), root }, {});
  return connectToNamespace(settings, loadCredentials(role, {}));
}

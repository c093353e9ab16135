/**
 * A whole master-worker system for an end-to-end test: masters and workers as real
 * processes on this file's own root of the shared ensemble, a config written before they
 * start, and an observer client (admin identity) to read what they did.
 */
import type { ZkClient } from '@zk-lab/zk-client';
import {
  connectToNamespace,
  encode,
  type LabConfig,
  loadCredentials,
  namespaceAcls,
  PATHS,
  resolveConnection,
} from '@zk-lab/lab-core';
import { sharedConnectString, testRoot } from './ensembles';
import { type AppProcess, type AppRunner, useApps } from './app-processes';
import { waitFor } from './waiting';

/** Session timeout of the apps in these tests: failure detection in about 2 s. */
export const APP_SESSION_TIMEOUT_MS = 2_000;

export interface LabSystem {
  readonly apps: AppRunner;
  /** Admin client on the system's root. */
  readonly observer: ZkClient;
  readonly root: string;
  readonly env: Record<string, string>;
  startMaster(id: string): AppProcess;
  startWorker(id: string, extraArgs?: string[]): AppProcess;
  /** The master that leads, as its /status says. */
  leader(masters: AppProcess[]): Promise<AppProcess>;
  /** Waits until these workers are registered. */
  waitForWorkers(ids: string[]): Promise<void>;
  /** Runs the producer CLI; fails the test on a non-zero exit. */
  produce(args: string[]): Promise<string>;
}

/**
 * Sets up the system for this file; `config` is written to /config before anything starts.
 * The ensemble is the shared one unless `connectString` names another (a private ensemble
 * for a file that kills ZooKeeper servers).
 */
export function useLabSystem(
  config: Partial<LabConfig> = {},
  connectString: () => string = sharedConnectString,
): LabSystem {
  const root = testRoot();
  let observer: ZkClient | null = null;
  const env = (): Record<string, string> => ({
    ZK_CONNECT: connectString(),
    ZK_ROOT: root,
    ZK_SESSION_TIMEOUT_MS: String(APP_SESSION_TIMEOUT_MS),
  });
  const apps = useApps(env);
  beforeAll(async () => {
    observer = await connectToNamespace(resolveConnection({}, env()), loadCredentials('admin'));
    await observer.create(PATHS.config, encode(config), { acl: namespaceAcls().config });
  });
  afterAll(async () => {
    await observer?.close();
  });
  const system: LabSystem = {
    apps,
    root,
    get env() {
      return env();
    },
    get observer() {
      if (observer === null) throw new Error('the observer exists from beforeAll on');
      return observer;
    },
    startMaster: (id) => apps.start('master', ['--id', id]),
    startWorker: (id, extraArgs = []) => apps.start('worker', ['--id', id, ...extraArgs]),
    async leader(masters) {
      let leader: AppProcess | undefined;
      await waitFor(
        'a leading master',
        async () => {
          for (const master of masters.filter((m) => m.running)) {
            const status = (await master.get('/status')).json<{ state: string }>();
            if (status.state === 'leader') leader = master;
          }
          return leader !== undefined;
        },
        15_000,
      );
      return leader!;
    },
    async waitForWorkers(ids) {
      await waitFor(
        `workers ${ids.join(', ')} registered`,
        async () => {
          const registered = await system.observer
            .getChildren(PATHS.workers)
            .catch((): string[] => []);
          return ids.every((id) => registered.includes(id));
        },
        20_000,
      );
    },
    async produce(args) {
      const { code, stdout, stderr } = await apps.run('producer', args);
      if (code !== 0) throw new Error(`producer ${args.join(' ')} exited ${code}:\n${stderr}`);
      return stdout;
    },
  };
  return system;
}

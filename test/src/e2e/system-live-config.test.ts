// The live config: a change reaches every master and worker within a second and is logged
// with its diff; bad data written behind the updater's back is rejected by every process,
// which keeps its last good config and reports the rejection; a deleted and re-created
// config node is followed; a process started while /config is invalid runs on the last good
// version, from the history, as the older processes do (apps.md F14).
import { PATHS, WorkerInfoSchema, decode } from '@zk-lab/lab-core';
import { type AppProcess, type LogLine, useLabSystem, waitFor } from '@zk-lab/test';

interface ConfigView {
  config: {
    version: number | null;
    values: { workerCapacity: number };
    rejected: unknown;
    source: string;
  };
}

async function configOf(app: AppProcess): Promise<ConfigView['config']> {
  return (await app.get('/status')).json<ConfigView>().config;
}

const applied = (version: number) => (line: LogLine) =>
  line.msg === `config version ${version} applied`;

describe('the live config', () => {
  const system = useLabSystem({ workerCapacity: 2 });
  let apps: AppProcess[] = [];

  beforeAll(async () => {
    apps = [
      system.startMaster('m1'),
      system.startMaster('m2'),
      system.startWorker('w1'),
      system.startWorker('w2'),
    ];
    await system.waitForWorkers(['w1', 'w2']);
    for (const app of apps) await app.port();
  });

  it('reaches every process within a second, with the diff logged', async () => {
    const edit = await system.apps.run('config-updater', [
      'edit',
      'workerCapacity=6',
      'logLevel=debug',
    ]);
    expect(edit.code).toBe(0);
    const written = (await system.observer.exists(PATHS.config))!;
    expect(written.version).toBe(1);
    for (const app of apps) {
      const line = await app.waitForLog('config version 1 applied', applied(1), 5_000);
      expect((line.time as number) - Number(written.mtime)).toBeLessThan(1_000);
      expect(line.diff).toEqual({
        logLevel: { from: 'info', to: 'debug' },
        workerCapacity: { from: 2, to: 6 },
      });
      expect(await configOf(app)).toMatchObject({ version: 1, values: { workerCapacity: 6 } });
    }
    await waitFor('the workers to advertise capacity 6', async () => {
      const infos = await Promise.all(
        ['w1', 'w2'].map(async (id) => {
          const { data } = await system.observer.getData(`${PATHS.workers}/${id}`);
          return decode(WorkerInfoSchema, data, id);
        }),
      );
      return infos.every((info) => info.capacity === 6);
    });
  });

  it('rejects bad data in every process, which keeps the last good config and says so', async () => {
    await system.observer.setData(PATHS.config, '{"workerCapacity": -1}');
    for (const app of apps) {
      await app.waitForLog(
        'the rejection',
        (l) => l.msg.startsWith('config version 2 rejected'),
        5_000,
      );
      const view = await configOf(app);
      expect(view).toMatchObject({ version: 1, values: { workerCapacity: 6 } });
      expect(view.rejected).toMatchObject({ version: 2 });
      const metrics = (await app.get('/metrics')).body;
      expect(metrics).toMatch(/zklab_config_reloads_total\{[^}]*outcome="rejected"[^}]*\} 1/);
    }
  });

  it('a master and a worker started while /config is invalid run on the last good version, from the history', async () => {
    const late = [system.startMaster('m3'), system.startWorker('w3')];
    await system.waitForWorkers(['w1', 'w2', 'w3']);
    for (const app of late) {
      await app.waitForLog(
        'the recovery',
        (l) => l.msg.startsWith('/config holds no good version: running on version 1'),
        10_000,
      );
      expect(await configOf(app)).toMatchObject({
        version: 1,
        source: 'history',
        values: { workerCapacity: 6 },
      });
    }
    const { data } = await system.observer.getData(`${PATHS.workers}/w3`);
    expect(decode(WorkerInfoSchema, data, 'w3').capacity).toBe(6);
    apps.push(...late);
  });

  it('keeps the config when the node is deleted, and follows the one created again', async () => {
    await system.observer.delete(PATHS.config);
    for (const app of apps) {
      await app.waitForLog(
        'the deletion',
        (l) => l.msg.startsWith('the config node was deleted'),
        5_000,
      );
      expect(await configOf(app)).toMatchObject({ version: 1, values: { workerCapacity: 6 } });
    }
    const created = await system.apps.run('config-updater', ['set', '{"workerCapacity": 5}']);
    expect(created.code).toBe(0);
    for (const app of apps) {
      await waitFor(
        'the new config',
        async () => (await configOf(app)).values.workerCapacity === 5,
        5_000,
      );
      expect((await configOf(app)).version).toBe(0);
    }
  });
});

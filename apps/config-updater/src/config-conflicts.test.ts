import { DEFAULT_CONFIG, namespaceAcls, PATHS } from '@zk-lab/lab-core';
import { testRoot } from '@zk-lab/test';
import { connectAs, useConfigCli } from './__tests__/config-cli';
import { ConfigConflictError, ConfigStore } from './config-store';

const { runCli, getJson } = useConfigCli();
const base = testRoot();

const CONFLICT =
  /the config changed since it was read \(expected version (\d+), now (\d+)\): run the command again/;

describe('two updaters never overwrite each other silently', () => {
  const root = `${base}-cli`;

  beforeAll(async () => {
    expect((await runCli(['set', '{"workerCapacity": 2}'], { root })).code).toBe(0);
    expect((await runCli(['edit', 'workerCapacity=3'], { root })).code).toBe(0);
  });

  it('set --expected-version 0 after someone wrote version 1 is a conflict; data unchanged', async () => {
    const result = await runCli(['set', '--expected-version', '0', '{"workerCapacity": 9}'], {
      root,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(CONFLICT);
    expect(result.stderr).toContain('expected version 0, now 1');
    expect(await getJson(root)).toMatchObject({ version: 1, config: { workerCapacity: 3 } });
  });

  it('two edits racing from the same version: exactly one wins, the other is a conflict', async () => {
    const [a, b] = await Promise.all([
      runCli(['edit', 'workerCapacity=10', '--expected-version', '1'], { root }),
      runCli(['edit', 'workerCapacity=20', '--expected-version', '1'], { root }),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
    expect(loser.stderr).toMatch(CONFLICT);
    expect(loser.stderr).toContain('expected version 1, now 2');
    const won = winner === a ? 10 : 20;
    expect(winner.stdout).toContain(`workerCapacity: 3 → ${won}`);
    expect(await getJson(root)).toMatchObject({ version: 2, config: { workerCapacity: won } });
    const rows = JSON.parse((await runCli(['history', '--json'], { root })).stdout) as {
      version: number;
    }[];
    expect(rows.map((r) => r.version)).toEqual([2, 1, 0]);
  });
});

describe('ConfigStore.write: the version check and the history entry are one transaction', () => {
  const root = `${base}-store`;

  it('a create that finds /config already there, or a stale version, writes nothing', async () => {
    const client = await connectAs('admin', root);
    try {
      const store = new ConfigStore(client, namespaceAcls().config, 'test-admin');
      expect(await store.write(DEFAULT_CONFIG, 'absent')).toMatchObject({ version: 0 });
      const second = { ...DEFAULT_CONFIG, maxAttempts: 9 };
      const created = store.write(second, 'absent');
      await expect(created).rejects.toBeInstanceOf(ConfigConflictError);
      await expect(created).rejects.toMatchObject({ expected: 'absent', actual: 0 });
      await expect(created).rejects.toThrow(
        'the config changed since it was read (expected no /config, now version 0)',
      );
      expect(await store.write(second, 0)).toMatchObject({ version: 1 });
      await expect(store.write(DEFAULT_CONFIG, 0)).rejects.toMatchObject({
        expected: 0,
        actual: 1,
      });

      const { data, stat } = await client.getData(PATHS.config);
      expect(stat.version).toBe(1);
      expect(JSON.parse(data.toString())).toEqual(second);
      const { records } = await store.history(10);
      expect(records.map((r) => r.entry?.version)).toEqual([1, 0]);
    } finally {
      await client.close();
    }
  });

  it('keeps the newest 100 history entries', async () => {
    const client = await connectAs('admin', root);
    try {
      const store = new ConfigStore(client, namespaceAcls().config, 'test-admin');
      let version = 1;
      for (let i = 0; i < 101; i++) {
        const next = { ...DEFAULT_CONFIG, workerCapacity: (i % 200) + 1 };
        version = (await store.write(next, version)).version;
      }
      expect(await store.trimHistory()).toBe(3);
      const { records, total } = await store.history(1_000);
      expect(total).toBe(100);
      expect(records[0]?.entry?.version).toBe(version);
      expect(records.at(-1)?.entry?.version).toBe(version - 99);
    } finally {
      await client.close();
    }
  });
});

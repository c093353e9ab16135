import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, PATHS } from '@zk-lab/lab-core';
import { testRoot } from '@zk-lab/test';
import type { ZkClient } from '@zk-lab/zk-client';
import { connectAs, useConfigCli } from './__tests__/config-cli';

const { runCli, getJson } = useConfigCli();
const base = testRoot();

describe('get, set, edit and history on a fresh namespace', () => {
  const root = `${base}-workflow`;

  it('get on an empty namespace shows the defaults and says so', async () => {
    const text = await runCli(['get'], { root });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('/config does not exist: the apps run with the defaults');
    expect(text.stdout).toContain('"workerCapacity": 4');
    expect(await getJson(root)).toEqual({
      state: 'absent',
      version: null,
      modified: null,
      config: DEFAULT_CONFIG,
    });
  });

  it('set inline JSON creates /config at version 0, every key filled in', async () => {
    const set = await runCli(['set', '{"workerCapacity": 6, "logLevel": "debug"}'], { root });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('created /config, version 0');
    expect(set.stdout).toContain('workerCapacity: 4 → 6');
    expect(set.stdout).toContain('logLevel: "info" → "debug"');
    const got = await getJson(root);
    expect(got).toMatchObject({
      state: 'valid',
      version: 0,
      config: { ...DEFAULT_CONFIG, workerCapacity: 6, logLevel: 'debug' },
    });
    const text = await runCli(['get'], { root });
    expect(text.stdout).toMatch(/^\/config version 0, modified \d{4}-\d\d-\d\dT/);
  });

  it('set with the same values writes nothing', async () => {
    const again = await runCli(['set', '{"logLevel": "debug", "workerCapacity": 6}'], { root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no change');
    expect(await getJson(root)).toMatchObject({ version: 0 });
  });

  it('edit workerCapacity=8 writes version 1 and prints the change', async () => {
    const edit = await runCli(['edit', 'workerCapacity=8'], { root });
    expect(edit.code).toBe(0);
    expect(edit.stdout).toContain('/config version 0 → 1');
    expect(edit.stdout).toContain('workerCapacity: 6 → 8');
    expect(await getJson(root)).toMatchObject({
      version: 1,
      config: { ...DEFAULT_CONFIG, workerCapacity: 8, logLevel: 'debug' },
    });
  });

  it('history lists both versions, newest first, each with its diff', async () => {
    const json = await runCli(['history', '--json'], { root });
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { version: number; by: string; changes: unknown }[];
    expect(rows.map((r) => r.version)).toEqual([1, 0]);
    expect(rows.every((r) => r.by === 'zk-lab-admin')).toBe(true);
    expect(rows[0]!.changes).toEqual([{ key: 'workerCapacity', from: 6, to: 8 }]);
    expect(rows[1]!.changes).toEqual([
      { key: 'logLevel', from: 'info', to: 'debug' },
      { key: 'workerCapacity', from: 4, to: 6 },
    ]);

    const text = await runCli(['history'], { root });
    expect(text.stdout).toMatch(/version 1 .* by zk-lab-admin[^\n]*\n {2}workerCapacity: 6 → 8/);
    expect(text.stdout).toMatch(/version 0 .*from the defaults/);
    const limited = JSON.parse(
      (await runCli(['history', '--json', '--limit', '1'], { root })).stdout,
    ) as unknown[];
    expect(limited).toHaveLength(1);
  });

  it('set reads a file, or stdin with -', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'config-updater-')), 'config.json');
    writeFileSync(file, JSON.stringify({ maxAttempts: 5 }));
    const fromFile = await runCli(['set', file], { root });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('/config version 1 → 2');
    expect(fromFile.stdout).toContain('maxAttempts: 3 → 5');
    // A whole config: the keys the file leaves out go back to their defaults.
    expect(fromFile.stdout).toContain('workerCapacity: 8 → 4');

    const fromStdin = await runCli(['set', '-'], { root, stdin: '{"assignBatchSize": 50}' });
    expect(fromStdin.code).toBe(0);
    expect(await getJson(root)).toMatchObject({
      version: 3,
      config: { ...DEFAULT_CONFIG, assignBatchSize: 50 },
    });
  });
});

describe('invalid input: exit 2, every problem listed, nothing written', () => {
  const root = `${base}-invalid`;
  let reader: ZkClient;
  let before: { data: string; version: number };

  beforeAll(async () => {
    expect((await runCli(['set', '{"workerCapacity": 5}'], { root })).code).toBe(0);
    reader = await connectAs('master', root);
    const { data, stat } = await reader.getData(PATHS.config);
    before = { data: data.toString(), version: stat.version };
  });
  afterAll(async () => {
    await reader?.close();
  });

  it.each([
    [['edit', 'workerCapacity=0'], /Too small: expected number to be >=1\s+→ at workerCapacity/],
    [['set', '{"workerCapacity": 0}'], /→ at workerCapacity/],
    [['set', '{"bogus": 1}'], /Unrecognized key: "bogus"/],
    [
      ['edit', 'bogus=1'],
      /unknown key "bogus": the keys are logLevel, workerCapacity, jobTimeoutMs/,
    ],
    [['edit', 'logLevel=loud'], /Invalid option.*\s+→ at logLevel/],
    [['set', '{not json'], /not JSON/],
    [['set', '/no/such/config.json'], /cannot read \/no\/such\/config\.json/],
  ])('%j is refused', async (args, problem) => {
    const result = await runCli(args, { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(problem);
    const { data, stat } = await reader.getData(PATHS.config);
    expect({ data: data.toString(), version: stat.version }).toEqual(before);
  });

  it('lists every problem of a document at once', async () => {
    const result = await runCli(['set', '{"workerCapacity": 0, "logLevel": "loud", "x": 1}'], {
      root,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nothing written');
    expect(result.stderr).toContain('Unrecognized key: "x"');
    expect(result.stderr).toMatch(/→ at logLevel/);
    expect(result.stderr).toMatch(/→ at workerCapacity/);
  });

  it('history holds only the accepted version', async () => {
    const rows = JSON.parse((await runCli(['history', '--json'], { root })).stdout) as unknown[];
    expect(rows).toHaveLength(1);
  });
});

describe('bad data written behind the updater back', () => {
  const root = `${base}-behind-back`;

  it('get reports it INVALID with its problems and the last version the updater wrote', async () => {
    expect((await runCli(['set', '{"workerCapacity": 7}'], { root })).code).toBe(0);
    const admin = await connectAs('admin', root);
    try {
      await admin.setData(PATHS.config, '{"workerCapacity": -1}');
    } finally {
      await admin.close();
    }

    const text = await runCli(['get'], { root });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('/config version 1');
    expect(text.stdout).toContain('is INVALID');
    expect(text.stdout).toContain('{"workerCapacity": -1}');
    expect(text.stdout).toMatch(/Too small: expected number to be >=1\s+→ at workerCapacity/);
    expect(text.stdout).toContain('the last version the updater wrote (version 0');
    expect(text.stdout).toContain('"workerCapacity": 7');

    expect(await getJson(root)).toMatchObject({
      state: 'invalid',
      version: 1,
      raw: '{"workerCapacity": -1}',
      lastWritten: { version: 0, config: { workerCapacity: 7 } },
    });
  });

  it('edit repairs it: the rejected value is shown as the old one', async () => {
    const edit = await runCli(['edit', 'workerCapacity=8'], { root });
    expect(edit.code).toBe(0);
    expect(edit.stdout).toContain('replaced the INVALID /config version 1: now version 2');
    expect(edit.stdout).toContain('workerCapacity: -1 → 8');
    expect(await getJson(root)).toMatchObject({ state: 'valid', version: 2 });
  });
});

describe('usage', () => {
  const root = `${base}-usage`;

  it('--help describes every command and the keys; exit 0', async () => {
    const help = await runCli(['--help'], { root });
    expect(help.code).toBe(0);
    for (const command of ['get [--json]', 'set FILE', 'edit KEY=VALUE', 'history [--limit N]']) {
      expect(help.stdout).toContain(command);
    }
    const setHelp = await runCli(['set', '--help'], { root });
    expect(setHelp.code).toBe(0);
    expect(setHelp.stdout).toMatch(/workerCapacity\s+default 4\s+integer 1 to 256/);
  });

  it.each([
    [[], /no command given/],
    [['explode'], /unknown command: explode/],
    [['get', '--limit', '3'], /`get` does not take --limit/],
    [['history', '--limit', '0'], /bad --limit "0"/],
    [['edit', 'workerCapacity'], /expected KEY=VALUE/],
    [['set'], /`set` needs a file/],
    [['get', '--bogus'], /Unknown option '--bogus'/],
  ])('%j is bad usage: exit 2', async (args, message) => {
    const result = await runCli(args, { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage:');
  });
});

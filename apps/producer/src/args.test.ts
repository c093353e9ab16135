import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProducerArgs } from './args';

const recordOf = (argv: string[], env: Record<string, string | undefined>) => {
  const parsed = parseProducerArgs(argv, env);
  if (parsed.help) throw new Error('help');
  return parsed.options.record;
};

describe("the producer's record file", () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-producer-args-'));
  afterAll(() => rmSync(state, { recursive: true, force: true }));

  it("is the running lab's own record when it produces into the lab, so lab chaos counts its jobs", () => {
    const env = { ZK_LAB_STATE: state };
    // No lab yet: nothing.
    expect(recordOf([], env)).toBeNull();
    mkdirSync(join(state, 'zk'));
    writeFileSync(join(state, 'zk', 'ensemble.json'), '{}');
    mkdirSync(join(state, 'records'));
    expect(recordOf(['--count', '3'], env)).toBe(join(state, 'records', 'producer.jsonl'));
    expect(recordOf([], { ...env, ZK_ROOT: '/zk-lab' })).toBe(
      join(state, 'records', 'producer.jsonl'),
    );
  });

  it('is nothing for another ensemble or another root, and what is named when named', () => {
    const env = { ZK_LAB_STATE: state };
    expect(recordOf(['--connect', '127.0.0.1:2181'], env)).toBeNull();
    expect(recordOf([], { ...env, ZK_CONNECT: '127.0.0.1:2181' })).toBeNull();
    expect(recordOf(['--root', '/mine'], env)).toBeNull();
    expect(recordOf([], { ...env, ZK_ROOT: '/mine' })).toBeNull();
    expect(recordOf(['--record', '/tmp/x.jsonl'], env)).toBe('/tmp/x.jsonl');
    expect(recordOf([], { ...env, ZK_LAB_PRODUCER_RECORD: '/tmp/y.jsonl' })).toBe('/tmp/y.jsonl');
  });
});

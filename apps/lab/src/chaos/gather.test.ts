import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectToNamespace,
  encode,
  loadCredentials,
  PATHS,
  resolveConnection,
} from '@zk-lab/lab-core';
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, usePrivateEnsemble, waitFor } from '@zk-lab/test';
import { Canary } from './canary';
import { gatherEvidence } from './gather';
import { judge } from './verdict';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

function result(id: string, key: string) {
  return {
    id,
    key,
    type: 'echo',
    outcome: 'succeeded',
    output: null,
    worker: 'w1',
    attempt: 1,
    epoch: 1,
    created: 0,
    assigned: 0,
    started: 0,
    finished: 0,
    failures: [],
    handBacks: [],
  };
}

function execution(jobId: string, key: string, token: string) {
  return { jobId, key, attempt: 1, workerId: 'w1', session: '0x1', token, at: 0 };
}

const lines = (rows: object[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

describe('the chaos judge on real znodes', () => {
  const root = testRoot();
  let client: ZkClient;
  let dir: string;

  beforeAll(async () => {
    client = await connectToNamespace(
      resolveConnection({ connect: sharedConnectString(), root }),
      loadCredentials('admin'),
    );
    dir = mkdtempSync(join(tmpdir(), 'zk-lab-judge-'));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('reads every record and execution, and fails on a planted duplicate, a lost job and an extra run', async () => {
    // What a healthy run leaves for A and B: one result each, one run each.
    await client.create(`${PATHS.results}/job-0000000001`, encode(result(A, 'job-0000000001')));
    await client.create(`${PATHS.results}/job-0000000002`, encode(result(B, 'job-0000000002')));
    const produced = join(dir, 'producer.jsonl');
    const executions = join(dir, 'executions.jsonl');
    writeFileSync(
      produced,
      lines([
        { jobId: A },
        { jobId: A, created: true },
        { jobId: B },
        { jobId: B, created: true },
        // A cut-short last line (the producer was killed mid-write) is not evidence.
      ]) + '{"jobId":"',
    );
    writeFileSync(
      executions,
      lines([execution(A, 'job-0000000001', '100'), execution(B, 'job-0000000002', '101')]),
    );
    const sources = {
      connectString: sharedConnectString(),
      root,
      producedFiles: [produced],
      executionLog: executions,
      // Each server of the ensemble read on its own: they agree.
      servers: sharedConnectString()
        .split(',')
        .map((hostPort, i) => ({ name: `zk${i + 1}`, connectString: hostPort })),
    };
    const healthy = judge(await gatherEvidence(sources), null);
    expect(healthy.violations).toEqual([]);
    expect(healthy.counts).toMatchObject({ created: 2, results: 2, executions: 2 });

    // Planted: a second result for A, a confirmed job C that never got a record, and a
    // second run of B with no failure or hand-back to account for it.
    await client.create(`${PATHS.results}/job-0000000003`, encode(result(A, 'job-0000000003')));
    writeFileSync(
      produced,
      lines([
        { jobId: A },
        { jobId: A, created: true },
        { jobId: B },
        { jobId: B, created: true },
        { jobId: C },
        { jobId: C, created: true },
      ]),
    );
    writeFileSync(
      executions,
      lines([
        execution(A, 'job-0000000001', '100'),
        execution(B, 'job-0000000002', '101'),
        execution(B, 'job-0000000002', '102'),
      ]),
    );
    const planted = judge(await gatherEvidence(sources), null);
    expect(planted.ok).toBe(false);
    expect(planted.violations.map((v) => [v.kind, v.jobId])).toEqual([
      ['duplicate', A],
      ['lost', C],
      ['extra-execution', B],
    ]);
  });

  describe('with a server that holds other records', () => {
    // A server of another ensemble stands for a replica that diverged: the same root, one
    // record different. The judge must name the path and what each server holds.
    const other = usePrivateEnsemble({ size: 1 });

    it('names the record the servers disagree on, and what each holds', async () => {
      const diverged = await connectToNamespace(
        resolveConnection({ connect: other.connectString, root }),
        loadCredentials('admin'),
      );
      try {
        const copy = { ...result(B, 'job-0000000002'), worker: 'w9', token: '7' };
        await diverged.create(`${PATHS.results}/job-0000000002`, encode(copy));
      } finally {
        await diverged.close();
      }
      const empty = join(dir, 'nothing.jsonl');
      writeFileSync(empty, '');
      const evidence = await gatherEvidence({
        connectString: sharedConnectString(),
        root,
        producedFiles: [empty],
        executionLog: empty,
        servers: [
          { name: 'zk1', connectString: sharedConnectString().split(',')[0]! },
          { name: 'other', connectString: other.connectString },
        ],
      });
      const divergences = judge(evidence, null).violations.filter(
        (v) => v.kind === 'replica-divergence',
      );
      expect(divergences.map((v) => v.detail)).toEqual([
        expect.stringMatching(
          new RegExp(
            `disagree on ${root}/results/job-0000000001 after a sync: zk1: w1 token \\? .*; other: absent$`,
          ),
        ),
        expect.stringMatching(
          /job-0000000002 after a sync: zk1: w1 token \? .*; other: w9 token 7 /,
        ),
        expect.stringMatching(/job-0000000003 after a sync: zk1: w1 token \? .*; other: absent$/),
      ]);
    });
  });

  it('the canary: what ZooKeeper acknowledged is found, and a planted loss is named', async () => {
    const admin = await ZkClient.connect({
      connectString: sharedConnectString(),
      auth: [loadCredentials('admin').authInfo()],
    });
    try {
      const canary = await Canary.start({
        connectString: sharedConnectString(),
        seed: 900_000 + Math.floor(Math.random() * 100_000),
        sessionTimeoutMs: 4_000,
        intervalMs: 20,
      });
      await waitFor('a few acknowledged creates', async () => {
        const children = await admin.getChildren(canary.path).catch(() => []);
        return children.length >= 5;
      });
      const record = await canary.stop();
      const empty = join(dir, 'none.jsonl');
      writeFileSync(empty, '');
      const sources = {
        connectString: sharedConnectString(),
        root,
        producedFiles: [empty],
        executionLog: empty,
        canary: record,
      };
      const whole = await gatherEvidence(sources);
      expect(whole.canary?.present).toEqual(expect.arrayContaining(record.acked));
      const lostWrites = (evidence: Awaited<ReturnType<typeof gatherEvidence>>) =>
        judge(evidence, null).violations.filter((v) => v.kind === 'zookeeper-lost-write');
      expect(lostWrites(whole)).toEqual([]);

      // Planted: one acknowledged create deleted behind the canary's back.
      const victim = record.acked[2]!;
      await admin.delete(`${record.path}/${victim}`);
      const planted = lostWrites(await gatherEvidence(sources));
      expect(planted).toHaveLength(1);
      expect(planted[0]!.detail).toContain(`${record.path}/${victim}`);
      await admin.deleteRecursive(record.path);
    } finally {
      await admin.close();
    }
  });
});

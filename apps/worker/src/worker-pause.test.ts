/**
 * The zombie of a process pause: a worker stopped (SIGSTOP) just after the server answered
 * its read of a task, and woken after its session expired, finds that answer waiting in its
 * socket. The task was the session's when it was read; it is not any more (a leader requeues
 * the tasks of a worker whose session ended). The worker must not start it: it confirms its
 * session with a round trip after reading, before any run starts.
 *
 * The fault proxy holds the reply to the worker's read of the task while the test stops the
 * process, then lets the reply through (with the server's close behind it) and wakes it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionHex } from '@zk-lab/lab-core';
import {
  sharedConnectString,
  testRoot,
  useApps,
  useFaultProxy,
  waitFor,
  ZkOpType,
} from '@zk-lab/test';
import { TestLeader } from './__tests__/test-leader';

const SESSION_MS = 4_000;

interface Execution {
  key: string;
  session: string;
}

function executions(file: string): Execution[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Execution);
}

describe('worker: a pause past the session', () => {
  const root = testRoot();
  const apps = useApps(() => ({ ZK_ROOT: root }));
  const { proxy } = useFaultProxy();
  let leader: TestLeader;

  beforeAll(async () => {
    leader = await TestLeader.connect(root);
  });
  afterAll(async () => {
    await leader?.close();
  });

  it('a task read just before the pause is not started after it: no run in the dead session', async () => {
    const id = 'w-zombie';
    const server = sharedConnectString().split(',')[0]!;
    const { listenPort } = await proxy().addLink(id, { targetPort: Number(server.split(':')[1]) });
    const log = join(mkdtempSync(join(tmpdir(), 'zk-lab-pause-')), 'executions.jsonl');
    const worker = apps.start('worker', ['--id', id, '--execution-log', log], {
      ZK_CONNECT: `127.0.0.1:${listenPort}`,
      ZK_SESSION_TIMEOUT_MS: String(SESSION_MS),
    });
    await worker.port();
    await leader.waitForWorker(id);
    await leader.openAssignDir(id);
    const session = await leader.workerSession(id);

    // The worker reads the new task (one multiRead for the tasks that fit); the server's
    // answer is held and the worker stopped.
    const held = proxy().holdNextReply(id, { opTypes: [ZkOpType.multiRead] });
    const [assigned] = await leader.assign(id, [{ type: 'echo', payload: 'late' }], session);
    await held;
    worker.signal('SIGSTOP');
    await waitFor('the session to expire', async () => (await leader.registration(id)) === null);

    // The answer and the server's close reach the socket; then the worker wakes up.
    proxy().heal(id);
    worker.signal('SIGCONT');
    await waitFor('the worker registered again, in a new session', async () => {
      const registration = await leader.registration(id);
      return registration !== null && sessionHex(registration.stat.ephemeralOwner) !== session;
    });
    // Whatever the worker does on waking, it happens before its new session exists.
    expect(executions(log).filter((run) => run.key === assigned!.key)).toEqual([]);

    // And it heals: a task of the new session runs.
    const next = await leader.assignOne(id, 'echo', 'after');
    expect(await leader.waitForResult(next.key)).toMatchObject({ outcome: 'succeeded' });
    expect(executions(log).map((run) => run.key)).toEqual([next.key]);
  });
});

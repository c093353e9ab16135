// Reconciliation repairs what it did not write, and never drops it silently: unreadable
// jobs and tasks, and nodes that are not jobs at all, end in /dead with the reason and
// the data as found.
import { DeadJobSchema, decode, namespaceAcls, PATHS } from '@zk-lab/lab-core';
import { useLabSystem, waitFor } from '@zk-lab/test';

describe('nodes the system did not write', () => {
  const system = useLabSystem();

  it('are moved to /dead with the reason, from the queue and from a live worker’s tasks', async () => {
    system.startMaster('m1');
    system.startWorker('w1');
    await system.waitForWorkers(['w1']);
    await waitFor(
      'the task folder of w1',
      async () => (await system.observer.exists(`${PATHS.assign}/w1`)) !== null,
    );
    const acl = { acl: namespaceAcls().job };
    await system.observer.create(`${PATHS.queue}/job-0000088888`, 'not json', acl);
    await system.observer.create(`${PATHS.queue}/hello`, 'hi', acl);
    await system.observer.create(`${PATHS.assign}/w1/job-0000099999`, '{"id":"x"}', acl);
    await system.observer.create(`${PATHS.assign}/w1/stray`, 'left by hand', acl);

    const buried = ['job-0000088888', 'hello', 'job-0000099999', 'stray'];
    await waitFor('all four in /dead', async () => {
      const dead = await system.observer.getChildren(PATHS.dead);
      return buried.every((name) => dead.includes(name));
    });
    const record = async (name: string) =>
      decode(DeadJobSchema, (await system.observer.getData(`${PATHS.dead}/${name}`)).data, name);
    expect(await record('job-0000088888')).toMatchObject({ job: null, raw: 'not json' });
    expect((await record('job-0000088888')).reason).toMatch(/not JSON/);
    expect(await record('hello')).toMatchObject({ reason: 'not a job node name', raw: 'hi' });
    expect((await record('job-0000099999')).reason).toMatch(/invalid task/);
    expect(await record('stray')).toMatchObject({
      reason: 'not a job node name',
      raw: 'left by hand',
    });
    expect(await system.observer.getChildren(PATHS.queue)).toEqual([]);
    expect(await system.observer.getChildren(`${PATHS.assign}/w1`)).toEqual([]);
  });
});

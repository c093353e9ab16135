/**
 * Barrier and DoubleBarrier against the run's shared ensemble, each participant on a
 * client (a session) of its own.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, waitFor } from '@zk-lab/test';
import { RecipeStateError } from '../common/lifecycle';
import { Barrier } from './barrier';
import { DoubleBarrier, DoubleBarrierPhaseError } from './double-barrier';

describe('barriers on a live ensemble', () => {
  const root = testRoot();
  const clients: ZkClient[] = [];
  const recipes: { close(): Promise<void> }[] = [];
  let admin: ZkClient;
  let n = 0;

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    return client;
  }

  async function barrier(path: string): Promise<Barrier> {
    const recipe = new Barrier(await connect(), path);
    recipes.push(recipe);
    await recipe.start();
    return recipe;
  }

  async function participants(path: string, count: number): Promise<DoubleBarrier[]> {
    const made: DoubleBarrier[] = [];
    for (let i = 0; i < count; i++) {
      const recipe = new DoubleBarrier(await connect(), path, count, { id: `p${i}` });
      recipes.push(recipe);
      await recipe.start();
      made.push(recipe);
    }
    return made;
  }

  /** The participant nodes under a double barrier (not `ready`), as the leader has them. */
  async function present(path: string): Promise<string[]> {
    const children = await childrenOf(path).catch(() => []);
    return children.filter((name) => name !== 'ready').sort();
  }

  /** The children of `path` as the leader has them: sync first, as the writes were others'. */
  async function childrenOf(path: string): Promise<string[]> {
    await admin.sync(path);
    return admin.getChildren(path);
  }

  function fresh(name: string): string {
    n++;
    return `${root}/${name}-${n}`;
  }

  beforeAll(async () => {
    admin = await connect();
    await admin.create(root);
  });

  afterEach(async () => {
    await Promise.all(recipes.splice(0).map((recipe) => recipe.close()));
    await Promise.all(clients.splice(1).map((client) => client.close()));
  });

  afterAll(async () => {
    await admin.deleteRecursive(root);
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  describe('Barrier', () => {
    it('does not hold anyone while it is not set', async () => {
      const gate = await barrier(fresh('open'));
      await expect(gate.waitOnBarrier({ timeoutMs: 5_000 })).resolves.toBe(true);
    });

    it('holds waiters of other sessions while set and releases them all when removed', async () => {
      const path = fresh('gate');
      const owner = await barrier(path);
      await owner.setBarrier();
      await owner.setBarrier(); // setting twice is fine
      const released: string[] = [];
      const waits = ['a', 'b'].map(async (who) => {
        const gate = await barrier(path);
        const passed = await gate.waitOnBarrier();
        released.push(who);
        return passed;
      });

      // A third waiter with a deadline is still held when its deadline passes.
      const started = Date.now();
      const probe = await barrier(path);
      await expect(probe.waitOnBarrier({ timeoutMs: 400 })).resolves.toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(released).toEqual([]);

      await owner.removeBarrier();
      await expect(Promise.all(waits)).resolves.toEqual([true, true]);
      expect(released.sort()).toEqual(['a', 'b']);
      await owner.removeBarrier(); // removing twice is fine
    });

    it('an aborted wait rejects with the reason; close() ends waits with RecipeStateError', async () => {
      const path = fresh('abort');
      const owner = await barrier(path);
      await owner.setBarrier();
      const gate = await barrier(path);
      const controller = new AbortController();
      const aborted = gate.waitOnBarrier({ signal: controller.signal });
      controller.abort(new Error('enough'));
      await expect(aborted).rejects.toThrow('enough');

      const closing = gate.waitOnBarrier();
      await gate.close();
      await gate.close(); // idempotent
      await expect(closing).rejects.toBeInstanceOf(RecipeStateError);
      await expect(gate.waitOnBarrier()).rejects.toBeInstanceOf(RecipeStateError);
      await expect(gate.start()).rejects.toBeInstanceOf(RecipeStateError);
      expect(gate.state).toBe('CLOSED');
    });
  });

  describe('DoubleBarrier', () => {
    it('lets nobody in until all 3 are there, then all; lets nobody out until all have left', async () => {
      const path = fresh('double');
      const [p0, p1, p2] = await participants(path, 3);
      const entering = [p0!.enter(), p1!.enter()];
      await waitFor('two participant nodes', async () => (await present(path)).length === 2);
      expect(await childrenOf(path)).not.toContain('ready');
      expect([p0!.phase, p1!.phase]).toEqual(['ENTERING', 'ENTERING']);

      await expect(p2!.enter()).resolves.toBe(true);
      await expect(Promise.all(entering)).resolves.toEqual([true, true]);
      expect([p0!.phase, p1!.phase, p2!.phase]).toEqual(['INSIDE', 'INSIDE', 'INSIDE']);

      // p0 (the lowest) and p1 leave; p2 stays: neither can be out yet.
      await expect(p0!.leave({ timeoutMs: 400 })).resolves.toBe(false);
      expect(p0!.phase).toBe('LEAVING');
      const leaving = [p0!.leave(), p1!.leave()];
      await waitFor('p1 gone', async () => !(await present(path)).includes('p1'));
      expect(await present(path)).toEqual(['p0', 'p2']);

      await expect(p2!.leave()).resolves.toBe(true);
      await expect(Promise.all(leaving)).resolves.toEqual([true, true]);
      expect(await childrenOf(path)).toEqual([]);
      expect([p0!.phase, p1!.phase, p2!.phase]).toEqual(['OUTSIDE', 'OUTSIDE', 'OUTSIDE']);

      // The path serves a second round.
      const again = await Promise.all([p0!.enter(), p1!.enter(), p2!.enter()]);
      expect(again).toEqual([true, true, true]);
      expect(await Promise.all([p0!.leave(), p1!.leave(), p2!.leave()])).toEqual([
        true,
        true,
        true,
      ]);
    });

    it('a participant that times out entering is withdrawn, and counted by nobody', async () => {
      const path = fresh('timeout');
      const [p0, p1] = await participants(path, 2);
      const started = Date.now();
      await expect(p0!.enter({ timeoutMs: 400 })).resolves.toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(p0!.phase).toBe('OUTSIDE');
      expect(await present(path)).toEqual([]);
      // p1 alone is still one short.
      await expect(p1!.enter({ timeoutMs: 300 })).resolves.toBe(false);
      expect(await childrenOf(path)).not.toContain('ready');
    });

    it('an aborted enter rejects and withdraws; enter/leave out of phase throw', async () => {
      const path = fresh('abort');
      const [p0] = await participants(path, 2);
      await expect(p0!.leave()).rejects.toBeInstanceOf(DoubleBarrierPhaseError);
      const controller = new AbortController();
      const entering = p0!.enter({ signal: controller.signal });
      await waitFor('p0 node', async () => (await present(path)).length === 1);
      await expect(p0!.enter()).rejects.toBeInstanceOf(DoubleBarrierPhaseError);
      controller.abort(new Error('stop'));
      await expect(entering).rejects.toThrow('stop');
      expect(await present(path)).toEqual([]);
      expect(p0!.phase).toBe('OUTSIDE');
    });

    it('close() removes the participant and ends its wait', async () => {
      const path = fresh('close');
      const [p0] = await participants(path, 2);
      const entering = p0!.enter();
      await waitFor('p0 node', async () => (await present(path)).length === 1);
      await p0!.close();
      await expect(entering).rejects.toBeInstanceOf(RecipeStateError);
      expect(await present(path)).toEqual([]);
    });
  });
});

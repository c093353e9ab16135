/**
 * The three caches against real failures, on a private ensemble (a destructive file): a
 * writer in another process changes a tree while the caches watch it, and the cache
 * client's server is frozen, then SIGKILLed, in the middle; then a session is made to
 * expire. Each time the caches end equal to the tree as read fresh, and report what
 * changed while they could not see it.
 */
import { ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import { serverOfSession, testRoot, usePrivateEnsemble } from '@zk-lab/test';
import { ChildrenCache } from './children-cache';
import {
  brief,
  type Expected,
  freshTree,
  held,
  isIncreasing,
  recordEvents,
  type Seen,
  versionsByNode,
  Waitable,
} from './__tests__/event-log';
import { type FixtureLine, FixtureProcess, killAllFixtures } from './__tests__/fixture-process';
import { NodeCache } from './node-cache';
import { TreeCache } from './tree-cache';

interface Op {
  op: 'create' | 'set' | 'delete';
  path: string;
  data?: string;
}

describe('caches across a killed server and an expired session', () => {
  const cluster = usePrivateEnsemble({ size: 3 });
  const root = testRoot();
  const opened: { close(): Promise<void> }[] = [];
  let commands = 0;

  async function connect(ids: number[], sessionTimeoutMs: number) {
    const client = await ZkClient.connect({
      connectString: cluster.ensemble.connectString(ids),
      sessionTimeoutMs,
    });
    opened.push(client);
    const states = new Waitable<ZkStateEvent>();
    client.on('state', (state) => states.push(state));
    return { client, states };
  }

  function others(id: number): number[] {
    return cluster.ensemble.nodes.map((n) => n.id).filter((n) => n !== id);
  }

  async function followers(): Promise<number[]> {
    const leader = await cluster.ensemble.leaderId();
    if (leader === null) throw new Error('the ensemble has no leader');
    return others(leader);
  }

  /** A writer process connected to every server but `avoid`. */
  async function startWriter(avoid: number): Promise<FixtureProcess> {
    const writer = new FixtureProcess('cache-writer', [
      cluster.ensemble.connectString(others(avoid)),
    ]);
    await writer.line('the writer to connect', (l) => l['ready'] === true);
    return writer;
  }

  /** Has the writer apply `ops`, one after another; resolves with its report. */
  async function write(writer: FixtureProcess, ops: Op[]): Promise<FixtureLine> {
    const id = ++commands;
    writer.send({ id, ops });
    const report = await writer.line(`the writer's command ${id}`, (l) => l['id'] === id);
    if (report['error'] !== undefined)
      throw new Error(`the writer failed: ${JSON.stringify(report['error'])}`);
    return report;
  }

  function watchAll(client: ZkClient, top: string, nodePath: string) {
    const tree = new TreeCache(client, top);
    const children = new ChildrenCache(client, top);
    const node = new NodeCache(client, nodePath);
    opened.unshift(tree, children, node);
    return {
      tree,
      children,
      node,
      treeLog: recordEvents(tree),
      childrenLog: recordEvents(children),
      nodeLog: recordEvents(node),
    };
  }

  /** Each cache equal to the server: the tree, the children of `top`, and one node. */
  async function expectEqualToServer(
    observer: ZkClient,
    top: string,
    nodePath: string,
    caches: ReturnType<typeof watchAll>,
  ): Promise<void> {
    const fresh = await freshTree(observer, top);
    const json = (value: unknown): string =>
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
    const depthOne = fresh.filter(
      (n) => n.path.startsWith(`${top}/`) && !n.path.slice(top.length + 1).includes('/'),
    );
    await caches.treeLog.until(
      'the tree cache to equal the tree',
      () => json(held(caches.tree.entries())) === json(fresh),
    );
    await caches.childrenLog.until(
      'the children cache to equal the children',
      () => json(held(caches.children.entries())) === json(depthOne),
    );
    await caches.nodeLog.until(
      'the node cache to equal the node',
      () => json(held(caches.node.entries())) === json(fresh.filter((n) => n.path === nodePath)),
    );
  }

  /** Per node incarnation, the versions each cache reported only went up. */
  function expectVersionsOnlyGoUp(events: readonly Seen[]): void {
    for (const [node, versions] of versionsByNode(events)) {
      expect({ node, versions, increasing: isIncreasing(versions) }).toEqual({
        node,
        versions,
        increasing: true,
      });
    }
  }

  beforeEach(async () => {
    await cluster.ensemble.waitForAll();
  }, 40_000);

  afterEach(async () => {
    await killAllFixtures();
    for (const closable of opened.splice(0)) await closable.close();
    await cluster.ensemble.restoreAll();
  }, 60_000);

  it("a server SIGKILLed amid a writer's changes: every change is reported in order, the gap as one diff", async () => {
    const serving = await followers();
    const { client, states } = await connect(serving, 4_000);
    const pinned = await serverOfSession(cluster.ensemble, client.sessionId);
    const { client: observer } = await connect(others(pinned), 4_000);
    // The server the cache client will move to, and a probe on it.
    const next = serving.find((id) => id !== pinned);
    if (next === undefined) throw new Error('no second follower');
    const { client: probe } = await connect([next], 4_000);
    const top = `${root}/kill`;
    const p = (rel: string): string => `${top}/${rel}`;
    await observer.create(root);
    await observer.create(top);
    await observer.create(p('a'), 'a0');
    await observer.create(p('b'), 'b0');
    await observer.create(p('b/x'), 'x0');
    await observer.create(p('c'), 'c0');
    const caches = watchAll(client, top, p('a'));
    await Promise.all([caches.tree.start(), caches.children.start(), caches.node.start()]);
    const writer = await startWriter(pinned);

    // Before the failure, one change at a time: each one is its own event, in order.
    const lockstep = async (steps: [Op, Expected][]): Promise<void> => {
      const mark = caches.treeLog.items.length;
      for (const [index, [op]] of steps.entries()) {
        await write(writer, [op]);
        await caches.treeLog.until(`${op.op} ${op.path}`, (e) => e.length >= mark + index + 1);
      }
      expect(brief(caches.treeLog.items.slice(mark))).toEqual(steps.map(([, seen]) => seen));
    };
    await lockstep([
      [{ op: 'set', path: p('a'), data: 'a1' }, ['updated', p('a'), 1, 'a1']],
      [{ op: 'create', path: p('d'), data: 'd0' }, ['added', p('d'), 0, 'd0']],
      [{ op: 'create', path: p('d/e'), data: 'e0' }, ['added', p('d/e'), 0, 'e0']],
      [{ op: 'set', path: p('b/x'), data: 'x1' }, ['updated', p('b/x'), 1, 'x1']],
      [{ op: 'delete', path: p('c') }, ['removed', p('c'), 0, 'c0']],
      [{ op: 'set', path: p('a'), data: 'a2' }, ['updated', p('a'), 2, 'a2']],
    ]);

    // The cache client's server freezes: the writer's next changes reach the quorum but
    // not the caches. Then that server is SIGKILLed, and the client moves to the other one.
    const mark = caches.treeLog.items.length;
    cluster.ensemble.pauseNode(pinned);
    await write(writer, [
      { op: 'set', path: p('a'), data: 'a3' },
      { op: 'set', path: p('a'), data: 'a4' },
      { op: 'create', path: p('f'), data: 'f0' },
      { op: 'create', path: p('f/g'), data: 'g0' },
      { op: 'delete', path: p('d/e') },
      { op: 'delete', path: p('d') },
      { op: 'set', path: p('b/x'), data: 'x2' },
      { op: 'create', path: p('h'), data: 'h0' },
      { op: 'delete', path: p('h') },
      { op: 'delete', path: p('b/x') },
      { op: 'create', path: p('b/x'), data: 'x-new' },
    ]);
    expect(states.items).toEqual([]); // the client had not noticed yet: all of it is the gap
    // The server the client moves to has applied all of it (a follower may lag the leader).
    await probe.sync(top);
    await cluster.ensemble.killNode(pinned);
    await states.until('RECONNECTED', (s) => s.includes('RECONNECTED'));
    expect(states.items).toEqual(['SUSPENDED', 'RECONNECTED']);
    expect(client.sessionId).not.toBe(0n);

    // Deep changes are not replayed by the server: the cache read the tree again and
    // reports the difference, removals first, then in the order of the writes.
    await caches.treeLog.until('the gap reported', (e) => e.length >= mark + 7);
    expect(brief(caches.treeLog.items.slice(mark))).toEqual([
      ['removed', p('b/x'), 1, 'x1'],
      ['removed', p('d/e'), 0, 'e0'],
      ['removed', p('d'), 0, 'd0'],
      ['updated', p('a'), 4, 'a4'],
      ['added', p('f'), 0, 'f0'],
      ['added', p('f/g'), 0, 'g0'],
      ['added', p('b/x'), 0, 'x-new'],
    ]);

    // After the failure, changes come one by one again.
    await lockstep([
      [{ op: 'set', path: p('f/g'), data: 'g1' }, ['updated', p('f/g'), 1, 'g1']],
      [{ op: 'create', path: p('i'), data: 'i0' }, ['added', p('i'), 0, 'i0']],
      [{ op: 'delete', path: p('f/g') }, ['removed', p('f/g'), 1, 'g1']],
      [{ op: 'set', path: p('a'), data: 'a5' }, ['updated', p('a'), 5, 'a5']],
    ]);

    await expectEqualToServer(observer, top, p('a'), caches);
    expectVersionsOnlyGoUp(caches.treeLog.items);
    expectVersionsOnlyGoUp(caches.childrenLog.items);
    expectVersionsOnlyGoUp(caches.nodeLog.items);
    // The node cache saw the node's versions in order, up to the last.
    const nodeVersions = caches.nodeLog.items
      .filter((e) => e.type !== 'initialized')
      .map((e) => e.version);
    expect(isIncreasing(nodeVersions)).toBe(true);
    expect(nodeVersions.at(-1)).toBe(5);
  }, 60_000);

  it('an expired session: the caches rebuild on the new one and report what changed meanwhile', async () => {
    const [pinned] = await followers();
    if (pinned === undefined) throw new Error('no follower');
    const { client, states } = await connect([pinned], 2_000);
    const { client: observer } = await connect(others(pinned), 4_000);
    const top = `${root}/expiry`;
    const p = (rel: string): string => `${top}/${rel}`;
    await observer.ensurePath(root);
    await observer.create(top, 'top');
    await observer.create(p('keep'), 'k0');
    await observer.create(p('gone'), 'g0');
    await observer.create(p('gone/sub'), 's0');
    await observer.create(p('changed'), 'c0');
    const caches = watchAll(client, top, p('changed'));
    await Promise.all([caches.tree.start(), caches.children.start(), caches.node.start()]);
    const writer = await startWriter(pinned);
    const firstSession = client.sessionId;
    const marks = [caches.treeLog, caches.childrenLog, caches.nodeLog].map((l) => l.items.length);

    // The client's only server freezes past the session timeout, while the writer goes on.
    cluster.ensemble.pauseNode(pinned);
    await write(writer, [
      { op: 'set', path: p('changed'), data: 'c1' },
      { op: 'set', path: p('changed'), data: 'c2' },
      { op: 'delete', path: p('gone/sub') },
      { op: 'delete', path: p('gone') },
      { op: 'create', path: p('new'), data: 'n0' },
      { op: 'create', path: p('new/sub'), data: 'ns0' },
      { op: 'create', path: p('brief'), data: 'b0' },
      { op: 'delete', path: p('brief') },
    ]);
    await states.until('LOST', (s) => s.includes('LOST'), 15_000);
    cluster.ensemble.resumeNode(pinned);
    await states.until('a new session', (s) => s.includes('CONNECTED'), 30_000);
    expect(states.items).toEqual(['SUSPENDED', 'LOST', 'CONNECTED']);
    expect(client.sessionId).not.toBe(firstSession);

    await expectEqualToServer(observer, top, p('changed'), caches);
    const [treeMark = 0, childrenMark = 0, nodeMark = 0] = marks;
    expect(brief(caches.treeLog.items.slice(treeMark))).toEqual([
      ['removed', p('gone/sub'), 0, 's0'],
      ['removed', p('gone'), 0, 'g0'],
      ['updated', p('changed'), 2, 'c2'],
      ['added', p('new'), 0, 'n0'],
      ['added', p('new/sub'), 0, 'ns0'],
    ]);
    expect(brief(caches.childrenLog.items.slice(childrenMark))).toEqual([
      ['removed', p('gone'), 0, 'g0'],
      ['updated', p('changed'), 2, 'c2'],
      ['added', p('new'), 0, 'n0'],
    ]);
    expect(brief(caches.nodeLog.items.slice(nodeMark))).toEqual([
      ['updated', p('changed'), 2, 'c2'],
    ]);

    // And the caches carry on with the new session's watches.
    await write(writer, [{ op: 'set', path: p('new/sub'), data: 'ns1' }]);
    await write(writer, [{ op: 'set', path: p('changed'), data: 'c3' }]);
    await expectEqualToServer(observer, top, p('changed'), caches);
    expect(brief(caches.treeLog.items.slice(treeMark + 5))).toEqual([
      ['updated', p('new/sub'), 1, 'ns1'],
      ['updated', p('changed'), 3, 'c3'],
    ]);
  }, 60_000);
});

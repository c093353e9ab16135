/**
 * PersistentNode against real faults on the shared ensemble: a node deleted by another
 * client, a session ended by the server, a create whose reply is lost after the server
 * applied it (the fault proxy), a node held by a foreign session. Every check reads the
 * node from a fresh client, after a sync.
 */
import {
  CreateMode,
  NoAuthError,
  READ_ACL_UNSAFE,
  type Stat,
  type ZkClient,
} from '@zk-lab/zk-client';
import {
  serverWatchesOf,
  sharedConnectString,
  useFaultProxy,
  waitFor,
  ZkOpType,
} from '@zk-lab/test';
import { connectViaProxy } from '../../../zk-client/src/__tests__/via-proxy';
import { Waitable } from '../cache/__tests__/event-log';
import { RecipeStateError } from '../common/lifecycle';
import { useNodeFixture } from './__tests__/node-fixture';
import { holdSession } from './__tests__/session-holder';
import { NodeClosedError, NodeConflictError, UnsupportedNodeModeError } from './errors';
import { PersistentNode } from './persistent-node';

type Seen = [event: 'created' | 'deleted', path: string];

describe('PersistentNode', () => {
  const { proxy } = useFaultProxy();
  const { root, opened, checker: checkerOf, connect, expire } = useNodeFixture();
  let checker: ZkClient;
  beforeAll(() => {
    checker = checkerOf();
  });

  function keep(client: ZkClient, path: string, data: string, mode?: CreateMode) {
    const node = new PersistentNode(client, path, data, mode === undefined ? {} : { mode });
    opened.unshift(node);
    const seen = new Waitable<Seen>();
    const errors: Error[] = [];
    node.on('created', (p) => seen.push(['created', p]));
    node.on('deleted', (p) => seen.push(['deleted', p]));
    node.on('error', (error) => errors.push(error));
    return { node, seen, errors };
  }

  /** The node as a fresh client sees it, after catching up with the leader. */
  async function fresh(path: string): Promise<{ data: string; stat: Stat } | null> {
    await checker.sync(path);
    const stat = await checker.exists(path);
    if (stat === null) return null;
    const { data, stat: read } = await checker.getData(path);
    return { data: data.toString(), stat: read };
  }

  it('start() resolves once the node is in place, owned by the session; close() deletes it', async () => {
    const client = await connect();
    const path = `${root}/present/a`;
    const { node, seen } = keep(client, path, 'here');
    await node.start();
    expect(node.actualPath).toBe(path);
    expect(seen.items).toEqual([['created', path]]);
    const found = await fresh(path);
    expect(found?.data).toBe('here');
    expect(found?.stat.ephemeralOwner).toBe(client.sessionId);

    await node.close();
    expect(node.actualPath).toBeNull();
    expect(await fresh(path)).toBeNull();
    await expect(node.setData('late')).rejects.toThrow(RecipeStateError);
  });

  it('a node deleted by another client is back within a moment, seen from a fresh client', async () => {
    const client = await connect();
    const path = `${root}/deleted/a`;
    const { node, seen } = keep(client, path, 'kept');
    await node.start();
    const first = await fresh(path);

    await checker.delete(path);
    await seen.until('deleted, then created again', (s) => s.length === 3);
    expect(seen.items).toEqual([
      ['created', path],
      ['deleted', path],
      ['created', path],
    ]);
    const again = await fresh(path);
    expect(again?.data).toBe('kept');
    expect(again?.stat.ephemeralOwner).toBe(client.sessionId);
    expect(again!.stat.czxid).toBeGreaterThan(first!.stat.czxid);
  });

  it('after a real session expiry the node is back in the new session, owned by it', async () => {
    const client = await connect();
    const path = `${root}/expired/a`;
    const { node, seen } = keep(client, path, 'survives');
    await node.start();
    const before = client.sessionId;

    await expire(client);
    await seen.until('created again', (s) => s.filter(([e]) => e === 'created').length === 2);
    expect(client.sessionId).not.toBe(before);
    expect(seen.items).toEqual([
      ['created', path],
      ['deleted', path],
      ['created', path],
    ]);
    const found = await fresh(path);
    expect(found?.data).toBe('survives');
    expect(found?.stat.ephemeralOwner).toBe(client.sessionId);
  });

  it("a node still held by this client's expired session is deleted and made again in the new one", async () => {
    const link = 'stale-session';
    const client = await connectViaProxy(proxy(), link, 2_000);
    opened.push(client);
    const states: string[] = [];
    client.on('state', (state) => states.push(state));
    const path = `${root}/stale/a`;
    const { node, seen, errors } = keep(client, path, 'mine');
    await node.start();
    const old = client.sessionId;

    // The client is cut off and declares LOST; its old session lives on from elsewhere.
    proxy().setMode(link, { kind: 'partition' });
    const [host, port] = sharedConnectString().split(',')[0]!.split(':');
    const held = await holdSession(client, host!, Number(port));
    opened.unshift(held);
    await waitFor('the client to declare LOST', () => states.includes('LOST'));
    expect((await fresh(path))?.stat.ephemeralOwner).toBe(old);

    // Not heal: a reconnect attempt begun before LOST would then re-attach the old session,
    // and the client would end it (closeSession). A reset drops those attempts unsent.
    proxy().setMode(link, { kind: 'reset' });
    await seen.until('created again', (s) => s.length === 3);
    expect(seen.items).toEqual([
      ['created', path],
      ['deleted', path],
      ['created', path],
    ]);
    const found = await fresh(path);
    expect(client.sessionId).not.toBe(old);
    expect(found?.stat.ephemeralOwner).toBe(client.sessionId);
    expect(await held.alive()).toBe(true); // replaced, not expired with its session
    expect(errors).toEqual([]);
  });

  it.each([
    ['EPHEMERAL', CreateMode.EPHEMERAL],
    ['EPHEMERAL_SEQUENTIAL', CreateMode.EPHEMERAL_SEQUENTIAL],
  ] as const)(
    'a %s create whose reply is lost after the server applied it leaves exactly one node',
    async (name, mode) => {
      const link = `lost-create-${name}`;
      const client = await connectViaProxy(proxy(), link, 4_000);
      opened.push(client);
      const parent = `${root}/lost-${name}`;
      await checker.ensurePath(parent);
      const { node, seen } = keep(client, `${parent}/member-`, 'once', mode);
      const states: string[] = [];
      client.on('state', (state) => states.push(state));

      const dropped = proxy().dropNextReply(link, {
        opTypes: [ZkOpType.create, ZkOpType.create2],
      });
      const started = node.start();
      await dropped; // the server made the node; the client got ConnectionLoss
      await started;
      expect(states).toContain('SUSPENDED');
      expect(states).not.toContain('LOST');

      await checker.sync(parent);
      const children = await checker.getChildren(parent);
      expect(children).toHaveLength(1);
      const path = `${parent}/${children[0]!}`;
      expect(node.actualPath).toBe(path);
      expect(seen.items).toEqual([['created', path]]);
      expect((await fresh(path))?.stat.ephemeralOwner).toBe(client.sessionId);
    },
  );

  it('setData() updates the node, and a re-creation writes the data set last', async () => {
    const client = await connect();
    const path = `${root}/data/a`;
    const { node, seen } = keep(client, path, 'v1');
    await node.start();
    await node.setData('v2');
    expect((await fresh(path))?.data).toBe('v2');

    await checker.delete(path);
    await seen.until('created again', (s) => s.length === 3);
    expect((await fresh(path))?.data).toBe('v2');
  });

  it('a sequential node keeps its number until it is lost, then gets a new one', async () => {
    const client = await connect();
    const parent = `${root}/sequential`;
    const { node, seen } = keep(client, `${parent}/n-`, 's', CreateMode.EPHEMERAL_SEQUENTIAL);
    await node.start();
    const first = node.actualPath!;
    expect(first).toMatch(/\/_c_[0-9a-f-]+-n-\d{10}$/);

    await checker.delete(first);
    await seen.until('created again', (s) => s.length === 3);
    const second = node.actualPath!;
    expect(second).not.toBe(first);
    await checker.sync(parent);
    expect((await checker.getChildren(parent)).map((c) => `${parent}/${c}`)).toEqual([second]);
  });

  it("a foreign session's node is left alone, reported, and replaced once it goes", async () => {
    const [mine, theirs] = [await connect(), await connect()];
    const path = `${root}/conflict/a`;
    await theirs.ensurePath(`${root}/conflict`);
    await theirs.create(path, 'theirs', { mode: CreateMode.EPHEMERAL });
    const { node, seen, errors } = keep(mine, path, 'mine');
    let started = false;
    const starting = node.start().then(() => (started = true));

    await waitFor('the conflict reported', () => errors.length > 0);
    expect(errors).toEqual([expect.any(NodeConflictError)]);
    expect((errors[0] as NodeConflictError).owner).toBe(theirs.sessionId);
    expect(started).toBe(false);
    expect((await fresh(path))?.data).toBe('theirs');

    await theirs.close();
    await starting;
    expect(seen.items).toEqual([['created', path]]);
    const found = await fresh(path);
    expect(found?.data).toBe('mine');
    expect(found?.stat.ephemeralOwner).toBe(mine.sessionId);
    expect(errors).toHaveLength(1);
  });

  it('close() before the node is created rejects start() with NodeClosedError', async () => {
    const [mine, theirs] = [await connect(), await connect()];
    const path = `${root}/closed-early/a`;
    await theirs.ensurePath(`${root}/closed-early`);
    await theirs.create(path, 'theirs', { mode: CreateMode.EPHEMERAL });
    const { node, errors } = keep(mine, path, 'mine');
    const starting = node.start();
    await waitFor('the conflict reported', () => errors.length > 0);
    await node.close();
    await expect(starting).rejects.toThrow(NodeClosedError);
    expect((await fresh(path))?.data).toBe('theirs');
  });

  it('leaves no watch on the servers once closed, after re-creations', async () => {
    const client = await connect();
    const path = `${root}/watches/a`;
    const { node, seen } = keep(client, path, 'w');
    await node.start();
    await node.setData('w2');
    await checker.delete(path);
    await seen.until('created again', (s) => s.length === 3);
    expect(await serverWatchesOf(sharedConnectString(), [client.sessionId])).toEqual([path]);

    await node.close();
    await client.sync(path);
    expect(await serverWatchesOf(sharedConnectString(), [client.sessionId])).toEqual([]);
  });

  it('start() rejects with a failure that is not the connection, and the node closes', async () => {
    const client = await connect();
    const parent = `${root}/read-only`;
    await checker.ensurePath(root);
    await checker.create(parent, '', { acl: READ_ACL_UNSAFE });
    const { node } = keep(client, `${parent}/a`, 'x');
    await expect(node.start()).rejects.toThrow(NoAuthError);
    expect(node.state).toBe('CLOSED');
  });

  it('refuses a mode it cannot keep, and a second start()', async () => {
    const client = await connect();
    expect(
      () => new PersistentNode(client, `${root}/ttl`, '', { mode: CreateMode.PERSISTENT_WITH_TTL }),
    ).toThrow(UnsupportedNodeModeError);
    const { node } = keep(client, `${root}/twice/a`, 'x', CreateMode.PERSISTENT);
    await node.start();
    await expect(node.start()).rejects.toThrow(RecipeStateError);
    await node.close();
    expect(await fresh(`${root}/twice/a`)).toBeNull();
  });

  it('a throwing listener stops neither the other listeners nor the node', async () => {
    const client = await connect();
    const path = `${root}/throwing/a`;
    const { node, seen } = keep(client, path, 'x');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      node.prependListener('created', () => {
        throw new Error('a listener broke');
      });
      await node.start();
      await checker.delete(path);
      await seen.until('created again', (s) => s.length === 3);
      expect(warn.mock.calls).toEqual([
        [
          "a PersistentNode 'created' listener threw: Error: a listener broke",
          { code: 'ZK_RECIPES_LISTENER_ERROR' },
        ],
        [
          "a PersistentNode 'created' listener threw: Error: a listener broke",
          { code: 'ZK_RECIPES_LISTENER_ERROR' },
        ],
      ]);
      expect((await fresh(path))?.stat.ephemeralOwner).toBe(client.sessionId);
    } finally {
      warn.mockRestore();
    }
  });
});

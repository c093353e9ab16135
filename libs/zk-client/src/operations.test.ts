/**
 * The client's operations against the run's shared ensemble (real ZooKeeper servers), each
 * test under this file's own root. Nothing here kills or pauses a server.
 */
import { freePorts } from '@zk-lab/deploy';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient, type ZkClientOptions, type ZkStateEvent } from './client';
import {
  BadArgumentsError,
  BadVersionError,
  ClientClosedError,
  ConnectionLossError,
  InvalidPathError,
  NoChildrenForEphemeralsError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  RequestTooLargeError,
} from './errors';
import { CreateMode } from './protocol';

const SESSION_TIMEOUT_MS = 4_000;

describe('ZkClient operations on a live ensemble', () => {
  const root = testRoot();
  const opened: ZkClient[] = [];
  let zk: ZkClient;

  /** Connects a client that afterEach/afterAll will close. */
  async function connect(options: Partial<ZkClientOptions> = {}): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      ...options,
    });
    opened.push(client);
    return client;
  }

  /**
   * Reads are served by whichever server a client is on and may lag the leader; a write
   * of the reader's own is ordered after every transaction committed before it, so a read
   * after it sees them (the "sync by write" of ZooKeeper's ordering guarantees).
   */
  async function catchUp(client: ZkClient): Promise<void> {
    await client.setData(root, 'barrier');
  }

  beforeAll(async () => {
    zk = await connect();
    await zk.create(root);
  });

  afterEach(async () => {
    // Every client but the file's main one is per test.
    await Promise.all(opened.splice(1).map((c) => c.close()));
  });

  afterAll(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });

  describe('create modes and what stat shows', () => {
    it('a persistent node holds its data, has no owner and starts at version 0', async () => {
      const path = `${root}/persistent`;
      expect(await zk.create(path, 'hello')).toBe(path);

      const { data, stat } = await zk.getData(path);
      expect(data.toString('utf8')).toBe('hello');
      expect(stat.dataLength).toBe(5);
      expect(stat.version).toBe(0);
      expect(stat.numChildren).toBe(0);
      expect(stat.ephemeralOwner).toBe(0n);
      expect(await zk.exists(path)).toEqual(stat);
    });

    it('createWithStat returns the path and the Stat the node was created with', async () => {
      const { path, stat } = await zk.createWithStat(`${root}/with-stat-`, 'abc', {
        mode: CreateMode.EPHEMERAL_SEQUENTIAL,
      });
      expect(path).toMatch(new RegExp(`^${root}/with-stat-\\d{10}$`));
      expect(stat).toEqual(await zk.exists(path));
      expect(stat.ephemeralOwner).toBe(zk.sessionId);
      expect(stat.dataLength).toBe(3);
      await expect(
        zk.createWithStat(`${root}/with-stat-p`, '', { protected: true } as object),
      ).rejects.toBeInstanceOf(BadArgumentsError);
    });

    it('a node created without data has an empty payload', async () => {
      const path = `${root}/empty`;
      await zk.create(path);
      const { data, stat } = await zk.getData(path);
      expect(data.length).toBe(0);
      expect(stat.dataLength).toBe(0);
    });

    it('an ephemeral node is owned by the creating session', async () => {
      const path = `${root}/ephemeral`;
      expect(await zk.create(path, 'e', { mode: CreateMode.EPHEMERAL })).toBe(path);
      const stat = await zk.exists(path);
      expect(zk.sessionId).not.toBe(0n);
      expect(stat?.ephemeralOwner).toBe(zk.sessionId);
    });

    it('an ephemeral node cannot have children', async () => {
      const path = `${root}/ephemeral-parent`;
      await zk.create(path, '', { mode: CreateMode.EPHEMERAL });
      const error = await zk.create(`${path}/child`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoChildrenForEphemeralsError);
    });

    it('sequential creates append a 10-digit counter that grows with each child', async () => {
      const parent = `${root}/sequential`;
      await zk.create(parent);
      const first = await zk.create(`${parent}/item-`, 'a', {
        mode: CreateMode.PERSISTENT_SEQUENTIAL,
      });
      const second = await zk.create(`${parent}/item-`, 'b', {
        mode: CreateMode.PERSISTENT_SEQUENTIAL,
      });
      expect(first).toBe(`${parent}/item-0000000000`);
      expect(second).toBe(`${parent}/item-0000000001`);
      expect((await zk.getData(second)).data.toString()).toBe('b');
      expect((await zk.exists(first))?.ephemeralOwner).toBe(0n);
    });

    it('a sequential create under "parent/" names the child by the counter alone', async () => {
      const parent = `${root}/bare-sequential`;
      await zk.create(parent);
      const created = await zk.create(`${parent}/`, '', { mode: CreateMode.PERSISTENT_SEQUENTIAL });
      expect(created).toBe(`${parent}/0000000000`);
    });

    it('an ephemeral-sequential node gets a counter and is owned by the session', async () => {
      const parent = `${root}/ephemeral-sequential`;
      await zk.create(parent);
      const created = await zk.create(`${parent}/member-`, 'm', {
        mode: CreateMode.EPHEMERAL_SEQUENTIAL,
      });
      expect(created).toMatch(new RegExp(`^${parent}/member-\\d{10}$`));
      expect((await zk.exists(created))?.ephemeralOwner).toBe(zk.sessionId);
    });

    it('a container node is created and may hold children', async () => {
      const path = `${root}/container`;
      expect(await zk.create(path, 'c', { mode: CreateMode.CONTAINER })).toBe(path);
      await zk.create(`${path}/child`);

      const stat = await zk.exists(path);
      // The server keeps its container marker to itself: clients see no owner.
      expect(stat?.ephemeralOwner).toBe(0n);
      expect(stat?.dataLength).toBe(1);
      expect(stat?.numChildren).toBe(1);
      expect(await zk.getChildren(path)).toEqual(['child']);
    });

    it('a TTL node is created with its data and, to clients, no owner', async () => {
      const path = `${root}/ttl`;
      expect(
        await zk.create(path, 't', { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 60_000 }),
      ).toBe(path);
      const stat = await zk.exists(path);
      // The server keeps the TTL in the owner field but shows clients 0 (DataNode.copyStat).
      expect(stat?.ephemeralOwner).toBe(0n);
      expect(stat?.dataLength).toBe(1);
    });

    it('a sequential TTL node gets a counter', async () => {
      const parent = `${root}/ttl-sequential`;
      await zk.create(parent);
      const created = await zk.create(`${parent}/t-`, '', {
        mode: CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL,
        ttlMs: 5_000,
      });
      expect(created).toBe(`${parent}/t-0000000000`);
      expect((await zk.exists(created))?.ephemeralOwner).toBe(0n);
    });

    it('the server refuses a TTL past its 40-bit limit with BadArgumentsError', async () => {
      const path = `${root}/ttl-too-long`;
      const error = await zk
        .create(path, '', { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 2 ** 41 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadArgumentsError);
      expect(error).toMatchObject({ op: 'create', path });
      expect(await zk.exists(path)).toBeNull();
    });

    it('rejects a TTL mode without ttlMs, and ttlMs without a TTL mode, before sending', async () => {
      const noTtl = zk.create(`${root}/no-ttl`, '', { mode: CreateMode.PERSISTENT_WITH_TTL });
      await expect(noTtl).rejects.toBeInstanceOf(BadArgumentsError);
      const stray = zk.create(`${root}/stray-ttl`, '', { ttlMs: 1_000 });
      await expect(stray).rejects.toBeInstanceOf(BadArgumentsError);
      expect(await zk.exists(`${root}/no-ttl`)).toBeNull();
      expect(await zk.exists(`${root}/stray-ttl`)).toBeNull();
    });

    it('setData increments the version and returns the new stat', async () => {
      const path = `${root}/versioned`;
      await zk.create(path, 'v0');
      const first = await zk.setData(path, 'version one');
      expect(first.version).toBe(1);
      expect(first.dataLength).toBe('version one'.length);
      const second = await zk.setData(path, Buffer.from([1, 2, 3]), 1);
      expect(second.version).toBe(2);

      const { data, stat } = await zk.getData(path);
      expect(data).toEqual(Buffer.from([1, 2, 3]));
      expect(stat).toEqual(second);
      expect(stat.mzxid > stat.czxid).toBe(true);
    });
  });

  describe('errors carry their type, operation and path', () => {
    it('delete with a stale version fails with BadVersionError and leaves the node', async () => {
      const path = `${root}/cas`;
      await zk.create(path, 'x');
      await zk.setData(path, 'y');

      const error = await zk.delete(path, 0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadVersionError);
      expect(error).toMatchObject({ op: 'delete', path });
      expect(await zk.exists(path)).not.toBeNull();

      await zk.delete(path, 1);
      expect(await zk.exists(path)).toBeNull();
    });

    it('setData with a stale version fails with BadVersionError and keeps the data', async () => {
      const path = `${root}/cas-set`;
      await zk.create(path, 'keep');
      await zk.setData(path, 'keep', 0);
      const error = await zk.setData(path, 'lost', 0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadVersionError);
      expect(error).toMatchObject({ op: 'setData', path });
      expect((await zk.getData(path)).data.toString()).toBe('keep');
    });

    it('operations on a missing node fail with NoNodeError; exists answers null', async () => {
      const missing = `${root}/missing`;
      expect(await zk.exists(missing)).toBeNull();
      const error = await zk.getData(missing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoNodeError);
      expect(error).toMatchObject({ op: 'getData', path: missing });
      await expect(zk.setData(missing, 'x')).rejects.toBeInstanceOf(NoNodeError);
      await expect(zk.delete(missing)).rejects.toMatchObject({ op: 'delete', path: missing });
      await expect(zk.delete(missing)).rejects.toBeInstanceOf(NoNodeError);
      await expect(zk.getChildren(missing)).rejects.toBeInstanceOf(NoNodeError);
      const orphan = zk.create(`${missing}/child`);
      await expect(orphan).rejects.toBeInstanceOf(NoNodeError);
    });

    it('creating an existing node fails with NodeExistsError and keeps the first data', async () => {
      const path = `${root}/twice`;
      await zk.create(path, 'first');
      const error = await zk.create(path, 'second').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeExistsError);
      expect(error).toMatchObject({ op: 'create', path });
      expect((await zk.getData(path)).data.toString()).toBe('first');
    });

    it('deleting a node with children fails with NotEmptyError', async () => {
      const path = `${root}/parent`;
      await zk.create(path);
      await zk.create(`${path}/child`);
      const error = await zk.delete(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotEmptyError);
      expect(error).toMatchObject({ op: 'delete', path });

      await zk.delete(`${path}/child`);
      await zk.delete(path);
      expect(await zk.exists(path)).toBeNull();
    });
  });

  describe('children', () => {
    it('getChildren lists the names of what was created, and numChildren counts them', async () => {
      const parent = `${root}/family`;
      await zk.create(parent);
      const names = ['alpha', 'beta', 'gamma', 'δέλτα'];
      for (const name of names) await zk.create(`${parent}/${name}`);
      const ephemeral = await zk.create(`${parent}/e-`, '', {
        mode: CreateMode.EPHEMERAL_SEQUENTIAL,
      });

      const children = await zk.getChildren(parent);
      expect([...children].sort()).toEqual([...names, ephemeral.slice(parent.length + 1)].sort());
      expect((await zk.exists(parent))?.numChildren).toBe(names.length + 1);

      await zk.delete(`${parent}/beta`);
      expect(await zk.getChildren(parent)).not.toContain('beta');
    });

    it('getChildrenWithStat gives the names and the parent stat in one read', async () => {
      const parent = `${root}/with-stat`;
      await zk.create(parent, 'p');
      await zk.create(`${parent}/one`);
      await zk.create(`${parent}/two`);
      const { children, stat } = await zk.getChildrenWithStat(parent);
      expect([...children].sort()).toEqual(['one', 'two']);
      expect(stat.numChildren).toBe(2);
      expect(stat.dataLength).toBe(1);
      expect(stat.cversion).toBe(2);
    });

    it('getAllChildrenNumber counts every node under a path, at every depth', async () => {
      const top = `${root}/counted`;
      await zk.ensurePath(`${top}/a/b/c`);
      await zk.create(`${top}/a/x`);
      await zk.create(`${top}/d`);
      expect(await zk.getAllChildrenNumber(top)).toBe(5); // a, a/b, a/b/c, a/x, d
      expect(await zk.getAllChildrenNumber(`${top}/d`)).toBe(0);
      await expect(zk.getAllChildrenNumber(`${top}/missing`)).rejects.toBeInstanceOf(NoNodeError);
    });

    it("getEphemerals lists this session's ephemeral nodes by path prefix, not another's", async () => {
      const owner = await connect();
      const other = await connect();
      const base = `${root}/ephemerals`;
      await zk.ensurePath(`${base}/x`);
      const mine = [
        await owner.create(`${base}/x/one`, '', { mode: CreateMode.EPHEMERAL }),
        await owner.create(`${base}/two-`, '', { mode: CreateMode.EPHEMERAL_SEQUENTIAL }),
      ];
      await other.create(`${base}/theirs`, '', { mode: CreateMode.EPHEMERAL });
      expect(await owner.getEphemerals(base)).toEqual([...mine].sort());
      expect(await owner.getEphemerals(`${base}/x`)).toEqual([`${base}/x/one`]);
      expect(await owner.getEphemerals(`${base}/tw`)).toEqual([mine[1]]); // a string prefix
      expect(await other.getEphemerals(base)).toEqual([`${base}/theirs`]);
      // Under a chroot, paths are relative to it.
      const jailed = await connect({ connectString: `${sharedConnectString()}${base}/x` });
      await jailed.create('/inside', '', { mode: CreateMode.EPHEMERAL });
      expect(await jailed.getEphemerals('/')).toEqual(['/inside']);
      expect(await jailed.getEphemerals()).toEqual(['/inside']);
    });

    it('a leaf has no children', async () => {
      const leaf = `${root}/leaf`;
      await zk.create(leaf);
      expect(await zk.getChildren(leaf)).toEqual([]);
    });
  });

  describe('sessions seen by other clients', () => {
    it("an ephemeral node vanishes for another client once its owner's close() resolves", async () => {
      const owner = await connect();
      const observer = await connect();
      const path = `${root}/presence`;
      await owner.create(path, 'here', { mode: CreateMode.EPHEMERAL });
      await catchUp(observer);
      expect((await observer.exists(path))?.ephemeralOwner).toBe(owner.sessionId);

      await owner.close();
      await catchUp(observer);
      expect(await observer.exists(path)).toBeNull();
    });

    it('two clients have distinct sessions and see each other’s persistent writes', async () => {
      const other = await connect();
      expect(other.sessionId).not.toBe(zk.sessionId);
      const path = `${root}/shared`;
      await zk.create(path, 'from zk');
      await catchUp(other);
      expect((await other.getData(path)).data.toString()).toBe('from zk');
    });
  });

  describe('close()', () => {
    it('is idempotent, announces CLOSED once, and later calls reject with ClientClosedError', async () => {
      const client = await connect();
      const events: ZkStateEvent[] = [];
      client.on('state', (event) => events.push(event));

      const first = client.close();
      const second = client.close();
      await Promise.all([first, second]);
      await client.close();

      expect(client.state).toBe('CLOSED');
      expect(events).toEqual(['CLOSED']);
      const path = `${root}/after-close`;
      const error = await client.getData(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClientClosedError);
      expect(error).toMatchObject({ op: 'getData', path });
      await expect(client.create(path)).rejects.toBeInstanceOf(ClientClosedError);
      await expect(client.exists(path)).rejects.toBeInstanceOf(ClientClosedError);
      await expect(client.setData(path, 'x')).rejects.toBeInstanceOf(ClientClosedError);
      await expect(client.delete(path)).rejects.toBeInstanceOf(ClientClosedError);
      await expect(client.getChildren(path)).rejects.toBeInstanceOf(ClientClosedError);
      expect(await zk.exists(path)).toBeNull();
    });

    it('answers the requests already sent before it closes', async () => {
      const client = await connect();
      const path = `${root}/sent-before-close`;
      const created = client.create(path, 'made it');
      const closed = client.close();
      expect(await created).toBe(path);
      await closed;
      await catchUp(zk);
      expect((await zk.getData(path)).data.toString()).toBe('made it');
    });
  });

  describe('chroot', () => {
    it('a chroot connect string confines every path to the chroot', async () => {
      const chroot = `${root}/jail`;
      await zk.create(chroot);
      await zk.create(`${root}/outside`, 'not visible');
      const jailed = await connect({ connectString: `${sharedConnectString()}${chroot}` });

      expect(await jailed.create('/a', 'inside')).toBe('/a');
      const seq = await jailed.create('/q-', '', { mode: CreateMode.PERSISTENT_SEQUENTIAL });
      expect(seq).toBe('/q-0000000001');
      expect((await jailed.getChildren('/')).sort()).toEqual(['a', 'q-0000000001']);
      expect((await jailed.getData('/a')).data.toString()).toBe('inside');
      expect(await jailed.exists('/outside')).toBeNull();
      expect(await jailed.exists(`${root}/outside`)).toBeNull();
      expect(await jailed.exists('/')).not.toBeNull();

      await catchUp(zk);
      expect((await zk.getData(`${chroot}/a`)).data.toString()).toBe('inside');
      expect(await zk.exists(`${chroot}/q-0000000001`)).not.toBeNull();
      // Errors name the path as the caller wrote it, not the server-side path.
      const error = await jailed.getData('/nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoNodeError);
      expect(error).toMatchObject({ op: 'getData', path: '/nope' });
    });
  });

  describe('pipelining', () => {
    it('1,000 sequential creates sent at once all settle, numbered in issue order', async () => {
      const parent = `${root}/pipeline`;
      await zk.create(parent);
      const count = 1_000;
      const created = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          zk.create(`${parent}/job-`, `payload ${i}`, { mode: CreateMode.PERSISTENT_SEQUENTIAL }),
        ),
      );
      expect(created).toEqual(
        Array.from({ length: count }, (_, i) => `${parent}/job-${String(i).padStart(10, '0')}`),
      );
      expect((await zk.getData(created[737]!)).data.toString()).toBe('payload 737');
      expect((await zk.getChildren(parent)).length).toBe(count);
    });

    it('mixed operations sent at once settle independently, failures only where due', async () => {
      const parent = `${root}/mixed`;
      await zk.create(parent);
      const results = await Promise.allSettled([
        zk.create(`${parent}/a`, '1'),
        zk.create(`${parent}/a`, '2'),
        zk.setData(`${parent}/a`, '3'),
        zk.getData(`${parent}/a`),
        zk.delete(`${parent}/missing`),
        zk.getChildren(parent),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(results[1]).toMatchObject({ reason: expect.any(NodeExistsError) as unknown });
      expect(results[4]).toMatchObject({ reason: expect.any(NoNodeError) as unknown });
      const read = results[3];
      expect(read?.status === 'fulfilled' && read.value.data.toString()).toBe('3');
      expect(read?.status === 'fulfilled' && read.value.stat.version).toBe(1);
    });
  });

  describe('bad input is refused before anything is sent', () => {
    const invalid = [
      '',
      'relative',
      '/trailing/',
      '/a//b',
      '/a/./b',
      '/a/../b',
      '/nul\u0000',
      '/bell\u0007',
    ];

    it.each(invalid)('path %j fails with InvalidPathError in every operation', async (path) => {
      for (const call of [
        () => zk.create(path),
        () => zk.delete(path),
        () => zk.exists(path),
        () => zk.getData(path),
        () => zk.setData(path, 'x'),
        () => zk.getChildren(path),
      ]) {
        await expect(call()).rejects.toBeInstanceOf(InvalidPathError);
      }
      expect(zk.state).toBe('CONNECTED');
    });

    it('an invalid path fails with InvalidPathError (not ClientClosedError) even on a closed client', async () => {
      // A closed client refuses anything it would send, so this shows the check runs first.
      const client = await connect();
      await client.close();
      const error = await client.create('no-slash').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPathError);
      expect(error).toMatchObject({ op: 'create', path: 'no-slash' });
    });

    it('a path with a control character is not created, and the session carries on', async () => {
      const path = `${root}/bad\u0001name`;
      await expect(zk.create(path)).rejects.toBeInstanceOf(InvalidPathError);
      expect(await zk.getChildren(root)).not.toContain('bad\u0001name');
      expect(await zk.create(`${root}/good-name`)).toBe(`${root}/good-name`);
    });

    it('a request over the size limit fails with RequestTooLargeError and the session carries on', async () => {
      const path = `${root}/too-large`;
      const error = await zk.create(path, Buffer.alloc(1_100_000)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestTooLargeError);
      expect(error).toMatchObject({ op: 'create', path });
      expect(zk.state).toBe('CONNECTED');
      expect(await zk.exists(path)).toBeNull();
      const big = Buffer.alloc(900_000, 7);
      await zk.create(path, big);
      const { data, stat } = await zk.getData(path);
      expect(stat.dataLength).toBe(big.length);
      expect(data.equals(big)).toBe(true);
    });

    it('a create of exactly the size limit is accepted by every server; one byte more is refused', async () => {
      // Request = 8 header bytes + path (4 + n) + data (4 + n) + one open ACL (27) + flags (4).
      const limit = 0xfffff;
      for (const server of sharedConnectString().split(',')) {
        const client = await connect({ connectString: server });
        const path = `${root}/at-limit-${server.split(':')[1]}`;
        const fits = limit - 8 - (4 + Buffer.byteLength(path)) - 4 - 27 - 4;
        await expect(client.create(path, Buffer.alloc(fits + 1))).rejects.toBeInstanceOf(
          RequestTooLargeError,
        );
        expect(await client.create(path, Buffer.alloc(fits))).toBe(path);
        expect((await client.exists(path))?.dataLength).toBe(fits);
        expect(client.state).toBe('CONNECTED');
      }
    });

    it('connect() rejects a malformed connect string or session timeout', async () => {
      await expect(ZkClient.connect({ connectString: '' })).rejects.toBeInstanceOf(
        BadArgumentsError,
      );
      await expect(ZkClient.connect({ connectString: '127.0.0.1:99999' })).rejects.toBeInstanceOf(
        BadArgumentsError,
      );
      await expect(
        ZkClient.connect({ connectString: sharedConnectString(), sessionTimeoutMs: -1 }),
      ).rejects.toBeInstanceOf(BadArgumentsError);
      await expect(
        ZkClient.connect({ connectString: `${sharedConnectString()}/bad//chroot` }),
      ).rejects.toBeInstanceOf(InvalidPathError);
    });
  });

  describe('connect()', () => {
    it('rejects with ConnectionLossError when no server answers within connectTimeoutMs', async () => {
      // A port nobody listens on: every attempt is refused.
      const [port] = await freePorts(1);
      const error = await ZkClient.connect({
        connectString: `127.0.0.1:${port}`,
        connectTimeoutMs: 1_500,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionLossError);
      expect(error).toMatchObject({ op: 'connect' });
    });

    it('connects through the live servers of a list where some are down', async () => {
      const dead = (await freePorts(2)).map((port) => `127.0.0.1:${port}`);
      const client = await connect({
        connectString: [dead[0], ...sharedConnectString().split(','), dead[1]].join(','),
      });
      expect(client.state).toBe('CONNECTED');
      expect(await client.exists(root)).not.toBeNull();
    });

    it('negotiates a session timeout within the server bounds (2 to 20 ticks of 200 ms)', async () => {
      const short = await connect({ sessionTimeoutMs: 100 });
      const long = await connect({ sessionTimeoutMs: 60_000 });
      expect(short.negotiatedTimeoutMs).toBe(400);
      expect(long.negotiatedTimeoutMs).toBe(4_000);
      expect(short.state).toBe('CONNECTED');
    });
  });
});

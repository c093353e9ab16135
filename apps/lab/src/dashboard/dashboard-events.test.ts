import {
  ChildrenPageSchema,
  HelloSchema,
  SnapshotSchema,
  TimelineEventSchema,
  TreeBatchSchema,
  type TreeChange,
} from '@zk-lab/dashboard';
import { sharedConnectString, testRoot, useFaultProxy, waitFor } from '@zk-lab/test';
import { connect } from 'node:net';
import { CreateMode, ZkClient } from '@zk-lab/zk-client';
import { ask, EventStreamReader, RecordingFeed, startTestServer } from './__tests__/dashboard-http';
import type { DashboardServer } from './dashboard-server';
import type { StatusFeed } from './feeds';

describe('the dashboard event stream', () => {
  const root = testRoot();
  let writer: ZkClient;
  let client: ZkClient;
  let feed: RecordingFeed;
  let server: DashboardServer;

  beforeAll(async () => {
    writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(`${root}/app`);
    client = await ZkClient.connect({ connectString: sharedConnectString() });
    feed = new RecordingFeed('lab');
    server = await startTestServer(client, root, feed);
  });

  afterAll(async () => {
    await server?.stop();
    await client?.close();
    await writer.deleteRecursive(root);
    await writer.close();
  });

  it("says hello first, then the latest snapshot and the history, then the feed's events", async () => {
    const stream = await EventStreamReader.open(server.url);
    try {
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const { index: helloAt, event: hello } = await stream.next(() => true);
      expect(helloAt).toBe(0);
      expect(hello.name).toBe('hello');
      expect(HelloSchema.parse(hello.data)).toEqual({
        mode: 'lab',
        connectString: sharedConnectString(),
        root,
        build: '0123456789ab', // the page's build.json
      });
      const snapshot = await stream.next((e) => e.name === 'snapshot');
      expect(SnapshotSchema.parse(snapshot.event.data).mode).toBe('lab');
      const past = await stream.next((e) => e.name === 'timeline');
      expect(TimelineEventSchema.parse(past.event.data).text).toBe('the feed started');

      feed.emit('timeline', { time: 2, kind: 'election', source: 'm2', text: 'm2 leads' });
      const live = await stream.next((e) => e.name === 'timeline', past.index + 1);
      expect(live.event.data).toMatchObject({ source: 'm2', text: 'm2 leads' });
    } finally {
      stream.close();
    }
  });

  it('a node another client creates, changes and deletes comes as tree changes, in order', async () => {
    const stream = await EventStreamReader.open(server.url);
    const path = `${root}/app/worker-1`;
    const changeOf = (kind: TreeChange['kind']) => (e: { name: string; data: unknown }) =>
      e.name === 'tree' &&
      TreeBatchSchema.parse(e.data).changes.some((c) => c.path === path && c.kind === kind);
    try {
      await stream.next((e) => e.name === 'hello');
      await writer.create(path, '{"capacity":4}', { mode: CreateMode.EPHEMERAL });
      const created = await stream.next(changeOf('created'));
      await writer.setData(path, '{"capacity":8}');
      const changed = await stream.next(changeOf('changed'), created.index + 1);
      await writer.delete(path);
      const deleted = await stream.next(changeOf('deleted'), changed.index + 1);

      const find = (at: number, kind: TreeChange['kind']) =>
        TreeBatchSchema.parse(stream.events[at]?.data).changes.find(
          (c) => c.path === path && c.kind === kind,
        );
      expect(find(created.index, 'created')?.node).toMatchObject({
        name: 'worker-1',
        type: 'ephemeral',
        owner: `0x${writer.sessionId.toString(16)}`,
        version: 0,
        preview: '{"capacity":4}',
      });
      expect(find(changed.index, 'changed')?.node).toMatchObject({
        version: 1,
        preview: '{"capacity":8}',
      });
      expect(find(deleted.index, 'deleted')?.node).toBeNull();
      // The parent's row follows its child count (ZooKeeper sends nothing for the parent), as
      // a `children` row: a count to show, not a change to flash.
      const parentRows = stream.events
        .filter((e) => e.name === 'tree')
        .flatMap((e) => TreeBatchSchema.parse(e.data).changes)
        .filter((c) => c.path === `${root}/app`);
      expect(parentRows.map((c) => [c.kind, c.node?.numChildren])).toEqual([
        ['children', 1],
        ['children', 0],
      ]);
      const batches = stream.events.filter((e) => e.name === 'tree');
      expect(batches.every((b) => TreeBatchSchema.parse(b.data).dropped === 0)).toBe(true);
    } finally {
      stream.close();
    }
  });

  it('a page of children says up to which change of the stream it holds', async () => {
    const stream = await EventStreamReader.open(server.url);
    const parent = `${root}/numbered`;
    const createdAt = (name: string) => (e: { name: string; data: unknown }) =>
      e.name === 'tree' &&
      TreeBatchSchema.parse(e.data).changes.some(
        (c) => c.path === `${parent}/${name}` && c.kind === 'created',
      );
    const seqOf = (event: { data: unknown }, name: string) =>
      TreeBatchSchema.parse(event.data).changes.find((c) => c.path === `${parent}/${name}`)?.seq ??
      NaN;
    try {
      await stream.next((e) => e.name === 'hello');
      await writer.create(parent);
      await writer.create(`${parent}/a`);
      const a = await stream.next(createdAt('a'));
      const page = ChildrenPageSchema.parse(
        (await ask(`${server.url}api/children?path=${parent}`)).json,
      );
      await writer.create(`${parent}/b`);
      const b = await stream.next(createdAt('b'), a.index);
      expect(page.seq).toBeGreaterThanOrEqual(seqOf(a.event, 'a'));
      expect(page.children.map((c) => c.name)).toEqual(['a']);
      expect(seqOf(b.event, 'b')).toBeGreaterThan(page.seq);
    } finally {
      stream.close();
    }
  });

  it('sends the whole history a page starts from, however full the socket is', async () => {
    const samples = Array.from({ length: 2_000 }, (_, i) => ({
      time: i,
      requestsPerSec: i,
      writesPerSec: null,
      latencyAvgMs: null,
      latencyMaxMs: null,
      queueDepth: null,
      completedPerSec: null,
      zxids: Object.fromEntries(
        Array.from({ length: 9 }, (_, id) => [String(id), { epoch: 1, counter: i }]),
      ),
    }));
    const historyFeed = new RecordingFeed('lab');
    const shortHistory = historyFeed.history();
    const asFeed: StatusFeed = historyFeed;
    asFeed.history = () => ({ ...shortHistory, samples });
    const historyClient = await ZkClient.connect({ connectString: sharedConnectString() });
    const historyServer = await startTestServer(historyClient, root, historyFeed);
    const stream = await EventStreamReader.open(historyServer.url);
    try {
      const last = await stream.next((e) => e.name === 'timeline', 0, 10_000);
      const sent = stream.events.slice(0, last.index).filter((e) => e.name === 'sample');
      expect(sent.map((e) => (e.data as { time: number }).time)).toEqual(
        samples.map((s) => s.time),
      );
    } finally {
      stream.close();
      await historyServer.stop();
      await historyClient.close();
    }
  });

  it('a page that goes away is forgotten: its feed listener is removed', async () => {
    // The streams of the tests before were closed: none is left listening.
    await waitFor('no listener left', () => feed.listening === 0, 5_000);
    const stream = await EventStreamReader.open(server.url);
    await stream.next((e) => e.name === 'hello');
    expect(feed.listening).toBe(1);
    stream.close();
    await waitFor('the listener removed', () => feed.listening === 0, 5_000);
  });

  it('sends at most 10 tree batches a second, and every change of a burst', async () => {
    const stream = await EventStreamReader.open(server.url);
    try {
      const { index } = await stream.next((e) => e.name === 'hello');
      const started = Date.now();
      const names = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
      await Promise.all(names.map((name) => writer.create(`${root}/app/${name}`)));
      const seen = new Set<string>();
      await waitFor(
        'every created node in a batch',
        () => {
          for (const e of stream.events.slice(index + 1)) {
            if (e.name !== 'tree') continue;
            for (const c of TreeBatchSchema.parse(e.data).changes) seen.add(c.path);
          }
          return names.every((name) => seen.has(`${root}/app/${name}`));
        },
        10_000,
      );
      const batches = stream.events.filter((e) => e.name === 'tree').length;
      const seconds = (Date.now() - started) / 1000;
      expect(batches).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 1);
    } finally {
      stream.close();
    }
  });

  it('a page that stops reading is cut off before it holds more than a few MB', async () => {
    await waitFor('no listener left', () => feed.listening === 0, 5_000);
    const socket = connect(server.port, '127.0.0.1');
    socket.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor('the page listening', () => feed.listening === 1, 5_000);
    socket.pause(); // reads nothing more: the kernel's buffers fill, then the server's
    const text = 'x'.repeat(10_000);
    for (let i = 0; i < 3_000 && feed.listening > 0; i += 1) {
      feed.emit('timeline', { time: i, kind: 'info', source: null, text });
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Cut off (its listener gone) long before the 30 MB were sent.
    expect(feed.listening).toBe(0);
    socket.destroy();
  });

  describe('after its connection was cut (the same session comes back)', () => {
    const { proxy } = useFaultProxy();

    it('reads the tree again and tells every page to reload, with a timeline note', async () => {
      const firstServer = sharedConnectString().split(',')[0] as string;
      const { listenPort } = await proxy().addLink('dashboard', {
        targetPort: Number(firstServer.slice(firstServer.lastIndexOf(':') + 1)),
      });
      const cutClient = await ZkClient.connect({ connectString: `127.0.0.1:${listenPort}` });
      const cutFeed = new RecordingFeed('read-only');
      const cutServer = await startTestServer(cutClient, root, cutFeed);
      const stream = await EventStreamReader.open(cutServer.url);
      try {
        await stream.next((e) => e.name === 'hello');
        // Held, then reset: the change made meanwhile never comes as an event.
        proxy().setMode('dashboard', { kind: 'partition' });
        await writer.create(`${root}/app/made-while-cut`);
        proxy().setMode('dashboard', { kind: 'reset' });
        const reload = await stream.next(
          (e) => e.name === 'tree' && TreeBatchSchema.parse(e.data).reload,
          0,
          10_000,
        );
        expect(reload.event.data).toMatchObject({ reload: true });
        expect(cutFeed.notes.map((n) => n.text).join()).toMatch(/read again after a reconnection/);
        const page = await ask(`${cutServer.url}api/children?path=${root}/app&limit=1000`);
        expect(ChildrenPageSchema.parse(page.json).children.map((c) => c.name)).toContain(
          'made-while-cut',
        );
      } finally {
        stream.close();
        await cutServer.stop();
        await cutClient.close();
      }
    });
  });
});

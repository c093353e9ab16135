import { join } from 'node:path';
import {
  ActionCatalogSchema,
  ActionRunSchema,
  ApiErrorSchema,
  ChaosRunViewSchema,
  ChildrenPageSchema,
  NodeDetailSchema,
  READ_ONLY_REFUSAL,
  SnapshotSchema,
} from '@zk-lab/dashboard';
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from '@zk-lab/zk-client';
import { ask, builtPage, RecordingFeed, startTestServer } from './__tests__/dashboard-http';
import type { DashboardServer } from './dashboard-server';

/** An error answer: the status, and one line of ApiError. */
function expectRefusal(answer: { status: number; json: unknown }, status: number, line?: RegExp) {
  expect(answer.status).toBe(status);
  const { error } = ApiErrorSchema.parse(answer.json);
  expect(error).not.toContain('\n');
  if (line !== undefined) expect(error).toMatch(line);
}

describe('the dashboard server', () => {
  const root = testRoot();
  let writer: ZkClient;
  let client: ZkClient;
  let labFeed: RecordingFeed;
  let lab: DashboardServer;
  let readOnly: DashboardServer;
  const bearer = () => ({ authorization: `Bearer ${lab.token}` });

  beforeAll(async () => {
    writer = await ZkClient.connect({ connectString: sharedConnectString() });
    await writer.ensurePath(root);
    await writer.create(`${root}/text`, 'hello, zookeeper');
    await writer.create(`${root}/json`, '{"leader":"m1","epoch":4}');
    await writer.create(`${root}/bytes`, Buffer.from([0, 1, 2, 0xff, 0xfe]));
    await writer.create(`${root}/empty`);
    await writer.create(`${root}/edited`, 'v0');
    client = await ZkClient.connect({ connectString: sharedConnectString() });
    labFeed = new RecordingFeed('lab');
    lab = await startTestServer(client, root, labFeed);
    readOnly = await startTestServer(client, root, new RecordingFeed('read-only'), {
      webDir: join(builtPage(), 'not-built'),
    });
  });

  afterAll(async () => {
    await lab?.stop();
    await readOnly?.stop();
    await client?.close();
    await writer.deleteRecursive(root);
    await writer.close();
  });

  it('listens on 127.0.0.1 and makes a 32-hex-digit token in lab mode, none in read-only', () => {
    expect(lab.url).toBe(`http://127.0.0.1:${lab.port}/`);
    expect(lab.token).toMatch(/^[0-9a-f]{32}$/);
    expect(readOnly.token).toBeNull();
  });

  it('serves the built page: index.html at /, files with their type and caching, nothing outside', async () => {
    const index = await ask(lab.url);
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.text).toContain('<title>zk-lab</title>');

    const script = await ask(`${lab.url}main-ABCD2345.js`);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toContain('immutable');
    // The page's own build asks for main.js?BUILD (build.json's id): cached for good too.
    const versioned = await ask(`${lab.url}main.js?0123456789ab`);
    expect(versioned.headers['cache-control']).toContain('immutable');
    expect((await ask(`${lab.url}main.js`)).headers['cache-control']).toBe('no-cache');
    const style = await ask(`${lab.url}assets/style.css`);
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(style.headers['cache-control']).toBe('no-cache');
    const again = await ask(`${lab.url}assets/style.css`, {
      headers: { 'if-none-match': String(style.headers.etag) },
    });
    expect(again.status).toBe(304);

    expect((await ask(`${lab.url}missing.js`)).status).toBe(404);
    expect((await ask(`${lab.url}%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    expect((await ask(`${lab.url}`, { method: 'DELETE' })).status).toBe(405);
  });

  it('a page not built yet is a 503 that says to run npm run build; the API still answers', async () => {
    const answer = await ask(readOnly.url);
    expect(answer.status).toBe(503);
    expect(answer.text.trimEnd().split('\n')).toHaveLength(1);
    expect(answer.text).toMatch(/npm run build/);
    expect((await ask(`${readOnly.url}api/snapshot`)).status).toBe(200);
  });

  it("GET /api/snapshot and /api/actions answer the feed's, in the protocol's shapes", async () => {
    const snapshot = SnapshotSchema.parse((await ask(`${lab.url}api/snapshot`)).json);
    expect(snapshot.mode).toBe('lab');
    const catalog = ActionCatalogSchema.parse((await ask(`${lab.url}api/actions`)).json);
    expect(catalog.actions.map((a) => a.kind)).toEqual(['kill-leader']);
  });

  it('GET /api/node: the exact bytes as base64, a guess of their encoding, the full Stat', async () => {
    const detail = async (name: string) => {
      const answer = await ask(`${lab.url}api/node?path=${encodeURIComponent(`${root}/${name}`)}`);
      expect(answer.status).toBe(200);
      return NodeDetailSchema.parse(answer.json);
    };
    const bytes = await detail('bytes');
    expect(Buffer.from(bytes.base64, 'base64')).toEqual(Buffer.from([0, 1, 2, 0xff, 0xfe]));
    expect(bytes.encoding).toBe('binary');
    expect(bytes.text).toBeNull();
    const text = await detail('text');
    expect([text.encoding, text.text]).toEqual(['utf8', 'hello, zookeeper']);
    expect((await detail('json')).encoding).toBe('json');
    const empty = await detail('empty');
    expect([empty.encoding, empty.base64, empty.text]).toEqual(['empty', '', '']);

    const { stat } = await writer.getData(`${root}/text`);
    expect(text.type).toBe('persistent');
    expect(text.stat).toEqual({
      czxid: `0x${stat.czxid.toString(16)}`,
      mzxid: `0x${stat.mzxid.toString(16)}`,
      pzxid: `0x${stat.pzxid.toString(16)}`,
      ctime: Number(stat.ctime),
      mtime: Number(stat.mtime),
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: '0x0',
      dataLength: 16,
      numChildren: 0,
    });

    expectRefusal(await ask(`${lab.url}api/node?path=${root}/nothing`), 404, /no node/);
    expectRefusal(await ask(`${lab.url}api/node?path=relative`), 400, /must start with \//);
    expectRefusal(await ask(`${lab.url}api/node`), 400, /^bad query: path/);
    // The admin's session must not read for anyone what lies outside the root.
    expectRefusal(
      await ask(`${lab.url}api/node?path=/zookeeper/config`),
      403,
      /outside the dashboard's root/,
    );
  });

  it('GET /api/children: one page of rows by name; 404 outside the tree, 400 on a bad limit', async () => {
    const answer = await ask(`${lab.url}api/children?path=${root}&offset=1&limit=2`);
    expect(answer.status).toBe(200);
    const page = ChildrenPageSchema.parse(answer.json);
    expect(page.total).toBe(5);
    expect(page.children.map((c) => c.name)).toEqual(['edited', 'empty']);
    expect(page.children[1]).toMatchObject({ type: 'persistent', dataLength: 0, preview: '' });
    const bytes = ChildrenPageSchema.parse(
      (await ask(`${lab.url}api/children?path=${root}&limit=1`)).json,
    ).children[0];
    expect(bytes).toMatchObject({ name: 'bytes', preview: '00 01 02 ff fe', owner: null });

    expectRefusal(await ask(`${lab.url}api/children?path=/elsewhere`), 404, /no node/);
    expectRefusal(await ask(`${lab.url}api/children?path=${root}&limit=0`), 400, /limit/);
    expectRefusal(await ask(`${lab.url}api/children?path=${root}&offset=-1`), 400, /offset/);
  });

  it('an unknown route is a 404, another method a 405, each with one line', async () => {
    expectRefusal(await ask(`${lab.url}api/nothing`), 404, /no route/);
    expectRefusal(await ask(`${lab.url}api/snapshot`, { method: 'PUT' }), 405);
    expectRefusal(await ask(`${lab.url}api/nothing`, { method: 'POST', body: {} }), 404);
  });

  it('a POST needs the token: 401 without it or with a wrong one, 202 with it', async () => {
    const action = { kind: 'kill-leader', prediction: { leader: 'm2', clientSees: 'nothing' } };
    expectRefusal(await ask(`${lab.url}api/actions`, { method: 'POST', body: action }), 401);
    const wrong = { authorization: `Bearer ${'0'.repeat(32)}` };
    expectRefusal(
      await ask(`${lab.url}api/actions`, { method: 'POST', body: action, headers: wrong }),
      401,
    );
    expectRefusal(
      await ask(`${lab.url}api/chaos`, {
        method: 'POST',
        body: { seed: 1, rounds: 1 },
        headers: wrong,
      }),
      401,
    );
    expect(labFeed.actions).toEqual([]);

    const started = await ask(`${lab.url}api/actions`, {
      method: 'POST',
      body: action,
      headers: bearer(),
    });
    expect(started.status).toBe(202);
    expect(ActionRunSchema.parse(started.json).prediction).toEqual(action.prediction);
    const chaos = await ask(`${lab.url}api/chaos`, {
      method: 'POST',
      body: { seed: 7, rounds: 2 },
      headers: bearer(),
    });
    expect(chaos.status).toBe(202);
    expect(ChaosRunViewSchema.parse(chaos.json)).toMatchObject({ seed: 7, total: 2 });
    expect(labFeed.actions).toEqual([action]);
    expect(labFeed.chaosRuns).toEqual([{ seed: 7, rounds: 2 }]);
  });

  it("a bad body is a 400 of one line, a feed's refusal its own status", async () => {
    const post = (path: string, options: Parameters<typeof ask>[1]) =>
      ask(`${lab.url}api/${path}`, {
        method: 'POST',
        ...options,
        headers: { ...bearer(), ...options?.headers },
      });
    expectRefusal(
      await post('chaos', { body: { seed: 1, rounds: 9 } }),
      400,
      /^bad chaos run: rounds/,
    );
    expectRefusal(await post('actions', { body: { prediction: {} } }), 400, /^bad action: kind/);
    expectRefusal(
      await post('actions', { raw: '{"kind":', headers: { 'content-type': 'application/json' } }),
      400,
      /not JSON/,
    );
    expectRefusal(
      await post('actions', { raw: 'kind=x', headers: { 'content-type': 'text/plain' } }),
      415,
    );
    expectRefusal(
      await post('actions', { body: { kind: 'unplug-the-moon' } }),
      400,
      /no action unplug-the-moon/,
    );
  });

  it('POST /api/node sets data at the version it was read at: 200, or 409 when it moved on, 404 when gone', async () => {
    const path = `${root}/edited`;
    const edit = (version: number, data: string, at = path) =>
      ask(`${lab.url}api/node`, {
        method: 'POST',
        headers: bearer(),
        body: { path: at, base64: Buffer.from(data).toString('base64'), version },
      });
    const done = await edit(0, 'v1');
    expect(done.status).toBe(200);
    expect(NodeDetailSchema.parse(done.json)).toMatchObject({ text: 'v1', stat: { version: 1 } });

    expectRefusal(await edit(0, 'stale'), 409, /changed since version 0/);
    expectRefusal(await edit(0, 'x', `${root}/nothing`), 404, /no node/);
    expectRefusal(await edit(0, 'x', '/zookeeper'), 403, /outside the dashboard's root/);
    const notBase64 = await ask(`${lab.url}api/node`, {
      method: 'POST',
      headers: bearer(),
      body: { path, base64: 'not base64!', version: 1 },
    });
    expectRefusal(notBase64, 400, /base64/);
    // ZooKeeper's "any version" (-1) is not an edit the page may make.
    expectRefusal(await edit(-1, 'unchecked'), 400, /version/);

    const { data, stat } = await writer.getData(path);
    expect([data.toString(), stat.version]).toEqual(['v1', 1]);
    expect(labFeed.notes.map((n) => n.text)).toContain(`edited ${path} on the page: version 0 → 1`);
  });

  it('refuses a POST from another origin, and any request made to a name that is not loopback', async () => {
    const action = { kind: 'kill-leader' };
    const from = (origin: string) =>
      ask(`${lab.url}api/actions`, {
        method: 'POST',
        body: action,
        headers: { ...bearer(), origin },
      });
    expectRefusal(await from('http://evil.example'), 403, /cross-origin/);
    expectRefusal(await from('null'), 403, /cross-origin/);
    expectRefusal(
      await ask(`${lab.url}api/actions`, {
        method: 'POST',
        body: action,
        headers: { ...bearer(), 'sec-fetch-site': 'cross-site' },
      }),
      403,
      /cross-origin/,
    );
    expect((await from(`http://127.0.0.1:${lab.port}`)).status).toBe(202);
    // DNS rebinding: evil.example resolved to 127.0.0.1 cannot read through the browser.
    expectRefusal(
      await ask(`${lab.url}api/snapshot`, { headers: { host: `evil.example:${lab.port}` } }),
      403,
      /127.0.0.1 or localhost/,
    );
    expect(
      (await ask(`${lab.url}api/snapshot`, { headers: { host: `localhost:${lab.port}` } })).status,
    ).toBe(200);
  });

  it('listens on another interface only when asked, and says so in a warning line', async () => {
    const lines: string[] = [];
    const open = await startTestServer(client, root, new RecordingFeed('read-only'), {
      host: '0.0.0.0',
      log: (line) => lines.push(line),
    });
    try {
      expect(open.url).toBe(`http://127.0.0.1:${open.port}/`);
      expect(lines.filter((l) => l.startsWith('warning: '))).toEqual([
        expect.stringContaining('listens on 0.0.0.0, not on loopback only'),
      ]);
      // Reached by another name, as other machines reach it.
      const answer = await ask(`${open.url}api/snapshot`, {
        headers: { host: `lab-box:${open.port}` },
      });
      expect(answer.status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('read-only mode refuses every POST with 403, token or not, and writes nothing', async () => {
    const path = `${root}/text`;
    const before = await writer.getData(path);
    const bodies: [string, unknown][] = [
      ['actions', { kind: 'kill-leader' }],
      ['chaos', { seed: 1, rounds: 1 }],
      ['node', { path, base64: Buffer.from('changed').toString('base64'), version: 0 }],
      ['node', { path: `${root}/new`, base64: '', version: -1 }],
      ['nothing-here', {}],
    ];
    for (const [route, body] of bodies) {
      for (const headers of [{}, bearer(), { authorization: 'Bearer nonsense' }]) {
        const answer = await ask(`${readOnly.url}api/${route}`, { method: 'POST', body, headers });
        if (route === 'nothing-here') expectRefusal(answer, 404);
        else expectRefusal(answer, 403, new RegExp(`^${READ_ONLY_REFUSAL}$`));
      }
    }
    // Judged from outside, by a fresh client.
    const fresh = await ZkClient.connect({ connectString: sharedConnectString() });
    try {
      const after = await fresh.getData(path);
      expect(after.data.toString()).toBe('hello, zookeeper');
      expect(after.stat.mzxid).toBe(before.stat.mzxid);
      expect((await fresh.getChildren(root)).sort()).toEqual([
        'bytes',
        'edited',
        'empty',
        'json',
        'text',
      ]);
    } finally {
      await fresh.close();
    }
  });
});

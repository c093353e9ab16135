/**
 * The fault proxy in front of a real standalone ZooKeeper server of this file's own: each
 * test puts a client behind a link of its own and makes one fault on it.
 */
import { mkdtempSync } from 'node:fs';
import { connect as connectTcp, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionLossError, CreateMode, ZkClient, type ZkStateEvent } from '@zk-lab/zk-client';
import { Ensemble } from '../ensemble';
import { fourLetterWord } from '../four-letter-words';
import { freePorts } from '../ports';
import { FaultProxy } from './fault-proxy';
import { CREATE_OP_TYPES, ZkOpType } from './modes';
import { FrameScanner, type FrameHead } from './frame-scanner';

const SESSION_MS = 4_000; // the longest a 200 ms tick allows

let ensemble: Ensemble;
let proxy: FaultProxy;
const clients: ZkClient[] = [];

beforeAll(async () => {
  ensemble = await Ensemble.start({
    stateDir: mkdtempSync(join(tmpdir(), 'zk-lab-proxy-test-')),
    size: 1,
    tickTimeMs: 200,
    heapMb: 128,
  });
  proxy = new FaultProxy();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await proxy?.close();
  await ensemble?.stop();
});

let linkCount = 0;
async function behindLink(): Promise<{ link: string; client: ZkClient; events: ZkStateEvent[] }> {
  const link = `test-${++linkCount}`;
  const { listenPort } = await proxy.addLink(link, { targetPort: ensemble.nodes[0]!.clientPort });
  const client = await ZkClient.connect({
    connectString: `127.0.0.1:${listenPort}`,
    sessionTimeoutMs: SESSION_MS,
  });
  clients.push(client);
  const events: ZkStateEvent[] = [];
  client.on('state', (event) => events.push(event));
  return { link, client, events };
}

async function direct(): Promise<ZkClient> {
  const client = await ZkClient.connect({
    connectString: ensemble.connectString(),
    sessionTimeoutMs: SESSION_MS,
  });
  clients.push(client);
  return client;
}

function nextEvent(client: ZkClient, wanted: ZkStateEvent): Promise<number> {
  return new Promise((resolve) => {
    const listener = (event: ZkStateEvent): void => {
      if (event !== wanted) return;
      client.off('state', listener);
      resolve(Date.now());
    };
    client.on('state', listener);
  });
}

describe('FaultProxy in front of a real ZooKeeper server', () => {
  it('relays a client in pass mode, and four-letter words too', async () => {
    const { link, client } = await behindLink();
    await client.create('/pass', 'x');
    expect((await client.getData('/pass')).data.toString()).toBe('x');
    expect(await fourLetterWord('127.0.0.1', proxy.link(link).listenPort, 'ruok')).toBe('imok');
    expect(proxy.link(link).connections).toBe(1);
  });

  it('a partition shorter than the session: SUSPENDED, then RECONNECTED with the same session', async () => {
    const { link, client, events } = await behindLink();
    await client.create('/short', '', { mode: CreateMode.EPHEMERAL });
    const session = client.sessionId;
    const suspended = nextEvent(client, 'SUSPENDED');
    proxy.setMode(link, { kind: 'partition' });
    await suspended;
    const reconnected = nextEvent(client, 'RECONNECTED');
    proxy.heal(link);
    await reconnected;
    expect(events).toEqual(['SUSPENDED', 'RECONNECTED']);
    expect(client.sessionId).toBe(session);
    expect(await (await direct()).exists('/short')).not.toBeNull();
  });

  it('a partition longer than the session: the session is LOST and its ephemeral node gone', async () => {
    const { link, client, events } = await behindLink();
    await client.create('/long', '', { mode: CreateMode.EPHEMERAL });
    const session = client.sessionId;
    const lost = nextEvent(client, 'LOST');
    proxy.setMode(link, { kind: 'partition' });
    await lost;
    const connected = nextEvent(client, 'CONNECTED');
    proxy.heal(link);
    await connected;
    expect(events.slice(0, 2)).toEqual(['SUSPENDED', 'LOST']);
    expect(client.sessionId).not.toBe(session);
    expect(await (await direct()).exists('/long')).toBeNull();
  });

  it('reset cuts the connection; the link is back in pass and the client reconnects', async () => {
    const { link, client } = await behindLink();
    const session = client.sessionId;
    const suspended = nextEvent(client, 'SUSPENDED');
    const reconnected = nextEvent(client, 'RECONNECTED');
    proxy.setMode(link, { kind: 'reset' });
    expect(proxy.link(link).mode).toEqual({ kind: 'pass' });
    await suspended;
    await reconnected;
    expect(client.sessionId).toBe(session);
  });

  it('delay 200 adds at least 400 ms to a round trip and keeps the order of requests', async () => {
    const { link, client } = await behindLink();
    await client.create('/delay', '0');
    proxy.setMode(link, { kind: 'delay', ms: 200 });
    const started = Date.now();
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((n) => client.setData('/delay', String(n)).then(() => order.push(n))),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(order).toEqual([1, 2, 3]);
    expect((await client.getData('/delay')).data.toString()).toBe('3');
    proxy.heal(link);
  });

  it('dropNextReply: the create fails with ConnectionLoss, yet the server applied it', async () => {
    const { link, client } = await behindLink();
    await client.exists('/'); // a read before: it is not dropped, only the create's reply is
    const fired = proxy.dropNextReply(link, { opTypes: CREATE_OP_TYPES });
    await expect(client.create('/dropped', 'x')).rejects.toBeInstanceOf(ConnectionLossError);
    const reply = await fired;
    expect(CREATE_OP_TYPES).toContain(reply.opType);
    expect(await (await direct()).exists('/dropped')).not.toBeNull();
  });

  it('holdNextReply: the reply waits, the link is partitioned, and heal delivers it in order', async () => {
    const { link, client } = await behindLink();
    await client.create('/held', 'x');
    const fired = proxy.holdNextReply(link, { opTypes: [ZkOpType.getData] });
    let answered = false;
    const read = client.getData('/held').then((r) => ((answered = true), r));
    const reply = await fired;
    expect(reply.opType).toBe(ZkOpType.getData);
    expect(proxy.link(link).mode).toEqual({ kind: 'partition' });
    // The server answered; the client has not seen it (still well inside its read timeout).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    proxy.heal(link);
    expect((await read).data.toString()).toBe('x');
    await client.setData('/held', 'y'); // the connection goes on after heal
    expect((await client.getData('/held')).data.toString()).toBe('y');
  });
});

describe('FaultProxy onward connects refused by the target', () => {
  const local = new FaultProxy();
  afterAll(() => local.close());

  /** Sends `text` through `listenPort`: the first answer, or "closed" if the connection ends first. */
  function firstAnswer(listenPort: number, text: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connectTcp({ host: '127.0.0.1', port: listenPort }, () => socket.write(text));
      socket.on('data', (chunk: Buffer) => {
        resolve(chunk.toString());
        socket.destroy();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve('closed'));
    });
  }

  it('a server-to-server link tries again until the target listens; a client link does not', async () => {
    const [port] = await freePorts(1);
    const peerLink = await local.addLink('peer', { targetPort: port!, protocol: 'raw' });
    const clientLink = await local.addLink('client', { targetPort: port! });
    // The target starts listening 300 ms after the proxy accepted both connections.
    const echo = createServer((socket) => {
      socket.on('error', () => undefined); // the peer's side is destroyed after its answer
      socket.pipe(socket);
    });
    const peer = firstAnswer(peerLink.listenPort, 'hello');
    const client = firstAnswer(clientLink.listenPort, 'hello');
    await sleep(300);
    await new Promise<void>((resolve) => echo.listen(port, '127.0.0.1', resolve));
    try {
      // The client saw its connection cut at once, as a refusal; the peer got through.
      expect(await client).toBe('closed');
      expect(await peer).toBe('hello');
    } finally {
      echo.close();
    }
  });
});

describe('FrameScanner', () => {
  function frame(xid: number, op: number, extra = 3): Buffer {
    const b = Buffer.alloc(4 + 8 + extra);
    b.writeInt32BE(8 + extra, 0);
    b.writeInt32BE(xid, 4);
    b.writeInt32BE(op, 8);
    return b;
  }

  it('finds frames split across chunks and several in one chunk', () => {
    const stream = Buffer.concat([frame(0, 0, 20), frame(1, 4), frame(2, 1, 0), frame(3, 5)]);
    const seen: FrameHead[] = [];
    const scanner = new FrameScanner();
    for (const cut of [
      [0, 3],
      [3, 30],
      [30, 31],
      [31, stream.length],
    ] as const) {
      scanner.scan(stream.subarray(cut[0], cut[1]), (f) => (seen.push(f), false));
    }
    expect(seen.map((f) => [f.index, f.xid, f.opType])).toEqual([
      [0, 0, 0],
      [1, 1, 4],
      [2, 2, 1],
      [3, 3, 5],
    ]);
  });

  it('gives up on bytes that are not frames (a four-letter word)', () => {
    const scanner = new FrameScanner();
    expect(scanner.scan(Buffer.from('srvr'), () => true)).toBeNull();
    expect(scanner.unframed).toBe(true);
  });

  it('returns the start of the frame to cut, relative to the chunk', () => {
    const scanner = new FrameScanner();
    const chunk = Buffer.concat([frame(7, 1), frame(8, 2)]);
    expect(scanner.scan(chunk, (f) => f.xid === 8)).toBe(frame(7, 1).length);
  });
});

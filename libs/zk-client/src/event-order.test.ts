/**
 * Replies and watch events reach the caller in the order the server sent them, as the
 * Java client's event thread dispatches them (dispatch-order.ts), also when the client
 * reads them in one go. The proxy holds a reply and what the server sends behind it, then
 * lets them all through at once: one read of the client's socket.
 *
 * A reply settles a promise, and the caller's `await` goes on a few microtasks later,
 * while a listener could run at once: without the ordering, a NodeDeleted read behind the
 * reply to an older getData was seen first, and the caller then acted on the deleted
 * node's data.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sharedConnectString, useFaultProxy, waitFor, ZkOpType } from '@zk-lab/test';
import { connectViaProxy } from './__tests__/via-proxy';
import { ZkClient } from './client';
import { AddWatchMode, EventType, type WatchEvent } from './protocol';

const SESSION_MS = 10_000;
/** Time for what the server sent to reach the (in-process) proxy, which holds it. */
const SETTLE_MS = 100;

const NAMES: Record<number, string> = {
  [EventType.NodeDeleted]: 'NodeDeleted',
  [EventType.NodeDataChanged]: 'NodeDataChanged',
};

describe('replies and watch events read together', () => {
  const { proxy } = useFaultProxy();
  const clients: ZkClient[] = [];
  let observer: ZkClient;
  let links = 0;

  beforeAll(async () => {
    // On the proxied client's server: by the time its write is answered, that server has
    // queued the notification to the proxied client.
    const first = sharedConnectString().split(',')[0]!;
    observer = await ZkClient.connect({ connectString: first });
  });
  afterAll(async () => {
    await observer.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  async function viaProxy(): Promise<{ client: ZkClient; link: string }> {
    const link = `event-order-${process.pid}-${++links}`;
    const client = await connectViaProxy(proxy(), link, SESSION_MS);
    clients.push(client);
    return { client, link };
  }

  async function freshNode(): Promise<string> {
    const path = `/event-order-${randomBytes(4).toString('hex')}`;
    await observer.create(path, 'v1');
    return path;
  }

  /** Lets through at once the held reply and what the server sent behind it. */
  async function releaseTogether(link: string): Promise<void> {
    await sleep(SETTLE_MS);
    proxy().heal(link);
  }

  /**
   * getData(path) (with `watch`, if given), its reply held while `change` runs, then let
   * through with what the server sent behind it; the awaiting code records 'reply <data>'.
   */
  async function readAcross(
    client: ZkClient,
    link: string,
    path: string,
    seen: string[],
    change: () => Promise<unknown>,
    watch?: (event: WatchEvent) => void,
  ): Promise<void> {
    const held = proxy().holdNextReply(link, { opTypes: [ZkOpType.getData] });
    const read = (async () => {
      const { data } = await client.getData(path, watch === undefined ? {} : { watch });
      seen.push(`reply ${data.toString()}`);
    })();
    await held;
    await change();
    await releaseTogether(link);
    await read;
  }

  const name = (event: WatchEvent): string => NAMES[event.type] ?? String(event.type);

  it('a getData reply, then the NodeDeleted of its one-shot watch: the reply is seen first', async () => {
    const { client, link } = await viaProxy();
    const path = await freshNode();
    const seen: string[] = [];
    await readAcross(
      client,
      link,
      path,
      seen,
      () => observer.delete(path),
      (event) => seen.push(`event ${name(event)}`),
    );
    await waitFor('the event', () => seen.length === 2);
    expect(seen).toEqual(['reply v1', 'event NodeDeleted']);
  });

  it('a getData reply, then a NodeDataChanged of a persistent watch and the client event: the reply is seen first', async () => {
    const { client, link } = await viaProxy();
    const path = await freshNode();
    const seen: string[] = [];
    const handle = await client.addWatch(path, AddWatchMode.PERSISTENT, (event) =>
      seen.push(`event ${name(event)}`),
    );
    client.on('watch', (event) => seen.push(`client event ${name(event)}`));
    await readAcross(client, link, path, seen, () => observer.setData(path, 'v2'));
    await waitFor('the events', () => seen.length === 3);
    expect(seen).toEqual(['reply v1', 'event NodeDataChanged', 'client event NodeDataChanged']);
    await handle.remove();
    await observer.delete(path);
  });

  it('a getData reply, then an event of watchEvents(): the loop sees the event after the reply', async () => {
    const { client, link } = await viaProxy();
    const path = await freshNode();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const event of client.watchEvents(path, AddWatchMode.PERSISTENT)) {
        seen.push(`event ${name(event)}`);
        break;
      }
    })();
    // Answered after the watch's own requests: the watch is set.
    await client.exists(path);
    await readAcross(client, link, path, seen, () => observer.setData(path, 'v2'));
    await loop;
    expect(seen).toEqual(['reply v1', 'event NodeDataChanged']);
    await observer.delete(path);
  });

  it('an event that arrives before a reply is seen before it, and after the reply before it', async () => {
    const { client, link } = await viaProxy();
    const path = await freshNode();
    const other = await freshNode();
    const seen: string[] = [];
    await client.getData(path, { watch: (event) => seen.push(`event ${name(event)}`) });
    const held = proxy().holdNextReply(link, { opTypes: [ZkOpType.getData] });
    // Sent together. The server answers the read (held), then applies the write: it sends
    // the write's NodeDataChanged, then its reply, both behind the held one.
    const read = (async () => {
      await client.getData(other);
      seen.push('getData reply');
    })();
    const write = (async () => {
      await client.setData(path, 'v2');
      seen.push('setData reply');
    })();
    await held;
    await waitFor(
      'the write to be applied',
      async () => (await observer.getData(path)).data.toString() === 'v2',
    );
    await releaseTogether(link);
    await Promise.all([read, write]);
    await waitFor('the event', () => seen.length === 3);
    expect(seen).toEqual(['getData reply', 'event NodeDataChanged', 'setData reply']);
    await observer.delete(path);
    await observer.delete(other);
  });

  it('an event read in one go with the reply behind it (no proxy hold) is seen first', async () => {
    const { client } = await viaProxy();
    const path = await freshNode();
    const seen: string[] = [];
    await client.getData(path, { watch: (event) => seen.push(`event ${name(event)}`) });
    await client.setData(path, 'v2');
    seen.push('setData reply');
    expect(seen).toEqual(['event NodeDataChanged', 'setData reply']);
    await observer.delete(path);
  });
});

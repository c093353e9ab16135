/**
 * A persistent watch as an async iterator, on the shared ensemble: the loop gets the
 * changes in order, `break` and the signal remove the server's watch (counted with `wchc`),
 * and a session that expires ends the loop with SessionExpiredError.
 */
import { randomBytes } from 'node:crypto';
import { serverWatchesOf, sharedConnectString, waitFor } from '@zk-lab/test';
import { expireFromElsewhere } from './__tests__/expire-session';
import { ZkClient } from './client';
import { SessionExpiredError } from './errors';
import { AddWatchMode, EventType, type WatchEvent } from './protocol';

describe('watchEvents', () => {
  const clients: ZkClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  async function connect(): Promise<ZkClient> {
    const client = await ZkClient.connect({
      connectString: sharedConnectString(),
      sessionTimeoutMs: 4_000,
    });
    clients.push(client);
    return client;
  }

  const fresh = (): string => `/watch-stream-${randomBytes(4).toString('hex')}`;

  it('yields every change of a subtree in order, and break removes the watch', async () => {
    const [watcher, writer] = [await connect(), await connect()];
    const path = fresh();
    await writer.create(path);
    const seen: [number, string][] = [];
    const looping = (async () => {
      for await (const event of watcher.watchEvents(path, AddWatchMode.PERSISTENT_RECURSIVE)) {
        seen.push([event.type, event.path]);
        if (event.type === EventType.NodeDeleted && event.path === path) break;
      }
    })();
    await waitFor('the watch on the server', async () =>
      (await serverWatchesOf(sharedConnectString(), [watcher.sessionId])).includes(path),
    );
    await writer.create(`${path}/a`);
    await writer.setData(`${path}/a`, 'x');
    await writer.delete(`${path}/a`);
    await writer.delete(path);
    await looping;
    expect(seen).toEqual([
      [EventType.NodeCreated, `${path}/a`],
      [EventType.NodeDataChanged, `${path}/a`],
      [EventType.NodeDeleted, `${path}/a`],
      [EventType.NodeDeleted, path],
    ]);
    expect(await serverWatchesOf(sharedConnectString(), [watcher.sessionId])).toEqual([]);
  });

  it('ends when its signal aborts, and the watch goes', async () => {
    const watcher = await connect();
    const path = fresh();
    await watcher.create(path);
    const controller = new AbortController();
    const events: WatchEvent[] = [];
    const looping = (async () => {
      for await (const event of watcher.watchEvents(path, AddWatchMode.PERSISTENT, {
        signal: controller.signal,
      })) {
        events.push(event);
      }
    })();
    await watcher.setData(path, 'one');
    await waitFor('the first change', () => events.length === 1);
    controller.abort();
    await looping;
    expect(await serverWatchesOf(sharedConnectString(), [watcher.sessionId])).toEqual([]);
    await watcher.delete(path);
  });

  it('ends with SessionExpiredError when the session expires', async () => {
    const watcher = await connect();
    const path = fresh();
    await watcher.create(path);
    const iterator = watcher.watchEvents(path, AddWatchMode.PERSISTENT);
    const next = iterator.next(); // sets the watch
    await waitFor('the watch on the server', async () =>
      (await serverWatchesOf(sharedConnectString(), [watcher.sessionId])).includes(path),
    );
    const [host, port] = sharedConnectString().split(',')[0]!.split(':');
    await expireFromElsewhere(watcher, host!, Number(port));
    // Perhaps None/Disconnected first (the expiry cuts the connection), then the end.
    let result: unknown = await next.catch((error: unknown) => error);
    while (!(result instanceof Error) && (result as IteratorResult<WatchEvent>).done !== true) {
      const event = (result as IteratorYieldResult<WatchEvent>).value;
      expect(event.type).toBe(EventType.None);
      result = await iterator.next().catch((error: unknown) => error);
    }
    expect(result).toBeInstanceOf(SessionExpiredError);
  });
});

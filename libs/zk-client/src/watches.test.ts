/**
 * One-shot and persistent watches against the run's shared ensemble (real servers), under
 * this file's own root. One client watches, another changes things.
 *
 * No test sleeps or polls for a notification: the watching client makes a write of its own
 * (`catchUp`) after the other client's changes. Its server applies transactions in order and
 * sends a watch notification before the reply of any later request, so once that write is
 * answered every notification the changes caused has been delivered, and none can follow.
 *
 * Every client here talks to the same server: a read then sees every write another client
 * was answered for (servers of an ensemble may lag one another; reads are not synced).
 */
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from './client';
import { NoNodeError, NoWatcherError } from './errors';
import {
  AddWatchMode,
  EventType,
  KeeperState,
  Perms,
  type WatchEvent,
  WatcherType,
} from './protocol';
import { digestId } from './auth';
import type { WatchListener } from './watches';

const SESSION_TIMEOUT_MS = 4_000;

/** A listener that records what it is called with. */
function recorder(): WatchListener & { events: WatchEvent[] } {
  const events: WatchEvent[] = [];
  const listener = (event: WatchEvent): void => {
    events.push(event);
  };
  return Object.assign(listener, { events });
}

/** The node events as [type, path] pairs, the easiest form to compare. */
function summary(events: readonly WatchEvent[]): [number, string][] {
  return events.map((e) => [e.type, e.path]);
}

describe('watches on a live ensemble', () => {
  const root = testRoot();
  const opened: ZkClient[] = [];
  let watcher: ZkClient;
  let writer: ZkClient;

  /** One server of the shared ensemble, the same for every client of this file. */
  const server = (): string => sharedConnectString().split(',')[0]!;

  async function connect(connectString = server()): Promise<ZkClient> {
    const client = await ZkClient.connect({ connectString, sessionTimeoutMs: SESSION_TIMEOUT_MS });
    opened.push(client);
    return client;
  }

  /** Every notification caused by earlier changes has reached `client` once this resolves. */
  async function catchUp(client: ZkClient = watcher): Promise<void> {
    await client.setData(root, 'barrier');
  }

  let n = 0;
  /** A fresh path under the root for each test. */
  function fresh(name: string): string {
    n++;
    return `${root}/${name}-${n}`;
  }

  beforeAll(async () => {
    watcher = await connect();
    writer = await connect();
    await watcher.create(root);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(2).map((c) => c.close()));
  });

  afterAll(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });

  describe('one-shot watches', () => {
    it('a data watch fires once on setData, with its type and path, and not again', async () => {
      const path = fresh('data');
      await writer.create(path, 'v0');
      const onChange = recorder();
      const { data } = await watcher.getData(path, { watch: onChange });
      expect(data.toString()).toBe('v0');

      await writer.setData(path, 'v1');
      await catchUp();
      expect(onChange.events).toEqual([
        { type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path },
      ]);

      await writer.setData(path, 'v2');
      await writer.delete(path);
      await catchUp();
      expect(onChange.events).toHaveLength(1);
    });

    it('a child watch fires on the create of a child, and a new one on its delete', async () => {
      const path = fresh('parent');
      await writer.create(path);
      const onCreate = recorder();
      expect(await watcher.getChildren(path, { watch: onCreate })).toEqual([]);
      await writer.create(`${path}/kid`);
      await catchUp();
      expect(summary(onCreate.events)).toEqual([[EventType.NodeChildrenChanged, path]]);

      const onDelete = recorder();
      expect(await watcher.getChildren(path, { watch: onDelete })).toEqual(['kid']);
      // A data change of the parent or of a child is no child event.
      await writer.setData(path, 'x');
      await writer.setData(`${path}/kid`, 'x');
      await writer.delete(`${path}/kid`);
      await catchUp();
      expect(summary(onDelete.events)).toEqual([[EventType.NodeChildrenChanged, path]]);
      expect(onCreate.events).toHaveLength(1);
    });

    it('an exists watch on a missing node fires NodeCreated', async () => {
      const path = fresh('missing');
      const onCreated = recorder();
      expect(await watcher.exists(path, { watch: onCreated })).toBeNull();
      await writer.create(path);
      await writer.setData(path, 'then changed');
      await catchUp();
      expect(summary(onCreated.events)).toEqual([[EventType.NodeCreated, path]]);
    });

    it('an exists watch on an existing node is a data watch', async () => {
      const path = fresh('present');
      await writer.create(path);
      const onChange = recorder();
      expect(await watcher.exists(path, { watch: onChange })).not.toBeNull();
      await writer.delete(path);
      await catchUp();
      expect(summary(onChange.events)).toEqual([[EventType.NodeDeleted, path]]);
    });

    it('a delete fires the data, exist and child watches of the node, once each', async () => {
      const path = fresh('doomed');
      await writer.create(path);
      const onData = recorder();
      const onChildren = recorder();
      const onExists = recorder();
      await watcher.getData(path, { watch: onData });
      await watcher.getChildren(path, { watch: onChildren });
      await watcher.exists(path, { watch: onExists });
      await writer.delete(path);
      await catchUp();
      for (const listener of [onData, onChildren, onExists]) {
        expect(summary(listener.events)).toEqual([[EventType.NodeDeleted, path]]);
      }
    });

    it('several listeners on one node all fire; one listener set twice fires once', async () => {
      const path = fresh('shared');
      await writer.create(path);
      const first = recorder();
      const second = recorder();
      const twice = recorder();
      await watcher.getData(path, { watch: first });
      await watcher.getData(path, { watch: second });
      await watcher.exists(path, { watch: twice });
      await watcher.getData(path, { watch: twice });
      await writer.setData(path, 'changed');
      await catchUp();
      for (const listener of [first, second, twice]) {
        expect(summary(listener.events)).toEqual([[EventType.NodeDataChanged, path]]);
      }
    });

    it('a failed read registers no watch', async () => {
      const path = fresh('absent');
      const onData = recorder();
      const onChildren = recorder();
      await expect(watcher.getData(path, { watch: onData })).rejects.toBeInstanceOf(NoNodeError);
      await expect(watcher.getChildren(path, { watch: onChildren })).rejects.toBeInstanceOf(
        NoNodeError,
      );
      await writer.create(path);
      await writer.create(`${path}/kid`);
      await writer.setData(path, 'x');
      await catchUp();
      expect(onData.events).toEqual([]);
      expect(onChildren.events).toEqual([]);
    });

    it('the reads keep working without a watch', async () => {
      const path = fresh('plain');
      await writer.create(path, 'p');
      expect((await watcher.getData(path)).data.toString()).toBe('p');
      expect(await watcher.getChildren(path)).toEqual([]);
      expect((await watcher.exists(path))?.version).toBe(0);
    });

    it('removeAllWatches drops the watches of a kind, and says when there were none', async () => {
      const path = fresh('removed');
      await writer.create(path);
      const onData = recorder();
      const onChildren = recorder();
      await watcher.getData(path, { watch: onData });
      await watcher.getChildren(path, { watch: onChildren });
      await watcher.removeAllWatches(path, WatcherType.Data);
      await expect(watcher.removeAllWatches(path, WatcherType.Data)).rejects.toBeInstanceOf(
        NoWatcherError,
      );
      await writer.setData(path, 'x');
      await writer.create(`${path}/kid`);
      await catchUp();
      expect(onData.events).toEqual([]);
      expect(summary(onChildren.events)).toEqual([[EventType.NodeChildrenChanged, path]]);
    });

    it('paths are relative to the chroot', async () => {
      const chrooted = await connect(`${server()}${root}`);
      const path = fresh('chroot');
      await writer.create(path);
      const relative = path.slice(root.length);
      const onChange = recorder();
      await chrooted.getData(relative, { watch: onChange });
      await writer.setData(path, 'x');
      await chrooted.setData('/', 'barrier');
      expect(summary(onChange.events)).toEqual([[EventType.NodeDataChanged, relative]]);
    });
  });

  describe('persistent watches', () => {
    it('a recursive watch gets no event for a node its client may not read', async () => {
      // ZooKeeper checks the watcher's READ permission on the changed node: a view kept from
      // a recursive watch (the master's live view) must not count on seeing such a node.
      const subtree = fresh('hidden');
      await writer.create(subtree);
      const onEvent = recorder();
      const handle = await watcher.addWatch(subtree, AddWatchMode.PERSISTENT_RECURSIVE, onEvent);
      const stranger = digestId('stranger', 'secret');
      await writer.create(`${subtree}/hidden`, 'x', { acl: [{ perms: Perms.ALL, id: stranger }] });
      await writer.create(`${subtree}/open`, 'x');
      await catchUp();
      expect(summary(onEvent.events)).toEqual([[EventType.NodeCreated, `${subtree}/open`]]);
      expect(await watcher.getChildren(subtree)).toEqual(expect.arrayContaining(['hidden']));
      await handle.remove();
    });

    it('a recursive watch reports 200 mixed changes in its subtree exactly, in server order', async () => {
      const subtree = fresh('tree');
      await writer.create(subtree);
      const onEvent = recorder();
      const handle = await watcher.addWatch(subtree, AddWatchMode.PERSISTENT_RECURSIVE, onEvent);

      // Creates, data changes and deletes at depths 1 to 3, made by the other client.
      const expected: [number, string][] = [];
      const live: string[] = [];
      let step = 0;
      while (expected.length < 200) {
        step++;
        const choice = step % 5;
        if (choice === 3 && live.length > 0) {
          const target = live[(step * 7) % live.length]!;
          await writer.setData(target, `v${step}`);
          expected.push([EventType.NodeDataChanged, target]);
        } else if (choice === 4 && live.length > 0) {
          // Delete a leaf: the newest node has no children yet.
          const target = live.pop()!;
          await writer.delete(target);
          expected.push([EventType.NodeDeleted, target]);
        } else {
          const parents = [
            subtree,
            ...live.filter((p) => p.split('/').length < subtree.split('/').length + 3),
          ];
          const parent = parents[step % parents.length]!;
          const created = await writer.create(`${parent}/n${step}`, `c${step}`);
          live.push(created);
          expected.push([EventType.NodeCreated, created]);
        }
      }
      await catchUp();
      expect(summary(onEvent.events)).toEqual(expected);
      await handle.remove();
    });

    it('a persistent watch reports every change of its node and nothing of its grandchildren', async () => {
      const path = fresh('persistent');
      const onEvent = recorder();
      const handle = await watcher.addWatch(path, AddWatchMode.PERSISTENT, onEvent);
      await writer.create(path, 'a');
      await writer.setData(path, 'b');
      await writer.create(`${path}/kid`);
      await writer.create(`${path}/kid/grandkid`);
      await writer.setData(`${path}/kid`, 'c');
      await writer.delete(`${path}/kid/grandkid`);
      await writer.delete(`${path}/kid`);
      await writer.delete(path);
      await writer.create(path);
      await catchUp();
      expect(summary(onEvent.events)).toEqual([
        [EventType.NodeCreated, path],
        [EventType.NodeDataChanged, path],
        [EventType.NodeChildrenChanged, path],
        [EventType.NodeChildrenChanged, path],
        [EventType.NodeDeleted, path],
        [EventType.NodeCreated, path],
      ]);
      await handle.remove();
    });

    it('handle.remove() stops the events, and only those of its own listener', async () => {
      const path = fresh('removable');
      await writer.create(path);
      const kept = recorder();
      const removed = recorder();
      const keptHandle = await watcher.addWatch(path, AddWatchMode.PERSISTENT, kept);
      const handle = await watcher.addWatch(path, AddWatchMode.PERSISTENT, removed);
      await writer.setData(path, '1');
      await catchUp();
      await handle.remove();
      await handle.remove();
      await writer.setData(path, '2');
      await catchUp();
      expect(removed.events).toHaveLength(1);
      expect(kept.events).toHaveLength(2);

      await keptHandle.remove();
      await writer.setData(path, '3');
      await catchUp();
      expect(kept.events).toHaveLength(2);
      // Nothing is left here to remove.
      await expect(watcher.removeAllWatches(path)).rejects.toBeInstanceOf(NoWatcherError);
    });

    it('one-shot watches on a node with a persistent watch fire once and leave it intact', async () => {
      // A 3.8 server lets a one-shot watch replace a persistent one on the same path; the
      // client serves such one-shot watches from the persistent watch instead.
      const path = fresh('mixed');
      await writer.create(path);
      const persistent = recorder();
      const recursive = recorder();
      const handle = await watcher.addWatch(path, AddWatchMode.PERSISTENT, persistent);
      const recursiveHandle = await watcher.addWatch(
        path,
        AddWatchMode.PERSISTENT_RECURSIVE,
        recursive,
      );
      const onData = recorder();
      const onChildren = recorder();
      await watcher.getData(path, { watch: onData });
      await watcher.getChildren(path, { watch: onChildren });

      await writer.setData(path, '1');
      await writer.create(`${path}/kid`);
      await writer.setData(path, '2');
      await writer.setData(`${path}/kid`, '3');
      await catchUp();
      expect(summary(onData.events)).toEqual([[EventType.NodeDataChanged, path]]);
      expect(summary(onChildren.events)).toEqual([[EventType.NodeChildrenChanged, path]]);
      expect(summary(persistent.events)).toEqual([
        [EventType.NodeDataChanged, path],
        [EventType.NodeChildrenChanged, path],
        [EventType.NodeDataChanged, path],
      ]);
      expect(summary(recursive.events)).toEqual([
        [EventType.NodeDataChanged, path],
        [EventType.NodeCreated, `${path}/kid`],
        [EventType.NodeDataChanged, path],
        [EventType.NodeDataChanged, `${path}/kid`],
      ]);

      // Without the recursive watch, the persistent one still sees child changes.
      await recursiveHandle.remove();
      await writer.delete(`${path}/kid`);
      await catchUp();
      expect(persistent.events).toHaveLength(4);
      expect(persistent.events[3]).toMatchObject({ type: EventType.NodeChildrenChanged, path });
      expect(recursive.events).toHaveLength(4);
      await handle.remove();
    });

    it('close() ends every watch with a Closed event', async () => {
      const client = await connect();
      const path = fresh('closing');
      await writer.create(path);
      const oneShot = recorder();
      const persistent = recorder();
      await client.getData(path, { watch: oneShot });
      await client.addWatch(path, AddWatchMode.PERSISTENT_RECURSIVE, persistent);
      await client.close();
      await writer.setData(path, 'after close');
      const closed = { type: EventType.None, state: KeeperState.Closed, path: '' };
      expect(oneShot.events).toEqual([closed]);
      expect(persistent.events).toEqual([closed]);
    });
  });
});

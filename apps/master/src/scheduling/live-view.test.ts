// LiveView is pure: events and full reads in, a snapshot out. What it must get right is the
// replay of events seen during a full read, and knowing when it cannot be trusted.
import { EventType, type WatchEvent } from '@zk-lab/zk-client';
import { LiveView } from './live-view';
import type { LiveWorker, SystemSnapshot } from './system-snapshot';

const job = (n: number): string => `job-${String(n).padStart(10, '0')}`;
const created = (path: string): WatchEvent => ({ type: EventType.NodeCreated, state: 3, path });
const deleted = (path: string): WatchEvent => ({ type: EventType.NodeDeleted, state: 3, path });
const worker = (id: string): LiveWorker => ({
  id,
  capacity: 4,
  identity: null,
  invalid: null,
  session: 1n,
  version: 0,
});

function read(queue: string[], tasks: Record<string, string[]> = {}): SystemSnapshot {
  return {
    workers: new Map(Object.keys(tasks).map((id) => [id, worker(id)])),
    tasks: new Map(Object.entries(tasks)),
    queue,
    strangers: [],
  };
}

describe('LiveView', () => {
  let clock = 0;
  let view: LiveView;
  const full = (snapshot: SystemSnapshot, during: WatchEvent[] = []): void => {
    view.beginFullRead();
    for (const event of during) view.onEvent(event);
    view.endFullRead(snapshot);
  };

  beforeEach(() => {
    clock = 0;
    view = new LiveView(2_000, () => clock);
  });

  it('asks for a full read at the start, after fullEveryMs, and when invalidated', () => {
    expect(view.needsFullRead()).toBe(true);
    full(read([]));
    expect(view.needsFullRead()).toBe(false);
    clock = 1_999;
    expect(view.needsFullRead()).toBe(false);
    clock = 2_000;
    expect(view.needsFullRead()).toBe(true);
    full(read([]));
    view.invalidate();
    expect(view.needsFullRead()).toBe(true);
  });

  it('follows the queue and the task folders from events, in queue order', () => {
    full(read([job(1)], { w1: [] }));
    view.onEvent(created(`/queue/${job(3)}`));
    view.onEvent(created(`/queue/${job(2)}`));
    view.onEvent(created('/queue/stray'));
    view.onEvent(deleted(`/queue/${job(1)}`));
    view.onEvent(created(`/assign/w1/${job(1)}`));
    view.onEvent(created('/assign/w2'));
    view.onEvent(created(`/assign/w2/${job(4)}`));
    view.onEvent(deleted(`/assign/w2/${job(4)}`));
    const snapshot = view.snapshot();
    expect(snapshot.queue).toEqual([job(2), job(3)]);
    expect(snapshot.strangers).toEqual(['stray']);
    expect(Object.fromEntries(snapshot.tasks)).toEqual({ w1: [job(1)], w2: [] });
    expect(view.needsFullRead()).toBe(false);
    view.onEvent(deleted('/assign/w2'));
    expect([...view.snapshot().tasks.keys()]).toEqual(['w1']);
  });

  it('replays the events seen during a full read over what it read: the last event wins', () => {
    full(read([]), [
      // Created and deleted before the listing: the listing has neither.
      created(`/queue/${job(1)}`),
      deleted(`/queue/${job(1)}`),
      // Created before the listing, so in it, and deleted after it.
      created(`/queue/${job(2)}`),
      deleted(`/queue/${job(2)}`),
      // Created after the listing: not in it.
      created(`/queue/${job(3)}`),
    ]);
    expect(view.snapshot().queue).toEqual([job(3)]);
    // The listing (taken after job 2 was created, before it was deleted) holds job 2.
    full(read([job(2)]), [created(`/queue/${job(2)}`), deleted(`/queue/${job(2)}`)]);
    expect(view.snapshot().queue).toEqual([]);
  });

  it('cannot follow registrations, ended watches or a failed full read: it asks for a read', () => {
    full(read([], { w1: [] }));
    view.onEvent({ type: EventType.NodeDataChanged, state: 3, path: '/workers/w1' });
    expect(view.needsFullRead()).toBe(true);

    full(read([], { w1: [] }));
    view.onEvent({ type: EventType.None, state: -112, path: '/queue' });
    expect(view.needsFullRead()).toBe(true);

    full(read([], { w1: [] }));
    view.onEvent(deleted('/queue'));
    expect(view.needsFullRead()).toBe(true);

    // A registration changed while a full read was in flight: the read may predate it.
    full(read([], { w1: [] }), [deleted('/workers/w1')]);
    expect(view.needsFullRead()).toBe(true);

    view.beginFullRead();
    view.onEvent(created(`/queue/${job(9)}`));
    view.abandonFullRead();
    expect(view.needsFullRead()).toBe(true);
    full(read([]));
    expect(view.snapshot().queue).toEqual([]);
  });

  it('hands out copies: events during a round do not move the round’s snapshot', () => {
    full(read([job(1)], { w1: [] }));
    const snapshot = view.snapshot();
    view.onEvent(created(`/assign/w1/${job(1)}`));
    view.onEvent(deleted(`/queue/${job(1)}`));
    expect(snapshot.queue).toEqual([job(1)]);
    expect(snapshot.tasks.get('w1')).toEqual([]);
  });
});

/**
 * A persistent watch as an async iterator: `for await (const event of client.watchEvents(
 * path, mode, { signal }))`. The watch is set when iteration starts (the first `next()`)
 * and removed when it ends: on `break`, on the signal, or when its session ends. Events
 * wait in order until the loop takes them, so none is dropped (a loop far slower than the
 * changes holds them all in memory).
 *
 * The loop sees what a listener of `addWatch` sees, None/Disconnected and None/SyncConnected
 * included, except the watch's end: a session that expired ends the loop with
 * SessionExpiredError (the watch is gone, and changes in the new session are not reported
 * until it is set again); a closed client ends it quietly.
 */
import { SessionExpiredError } from './errors';
import { type AddWatchMode, EventType, KeeperState, type WatchEvent } from './protocol';
import type { WatchHandle, WatchListener } from './watches';

export async function* watchStream(
  addWatch: (path: string, mode: AddWatchMode, listener: WatchListener) => Promise<WatchHandle>,
  path: string,
  mode: AddWatchMode,
  signal?: AbortSignal,
): AsyncGenerator<WatchEvent, void, undefined> {
  // A function: the signal may abort at any await, whatever TypeScript narrowed it to.
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) return;
  const queue: WatchEvent[] = [];
  let wake: (() => void) | null = null;
  const rouse = (): void => {
    wake?.();
    wake = null;
  };
  const handle = await addWatch(path, mode, (event) => {
    queue.push(event);
    rouse();
  });
  signal?.addEventListener('abort', rouse, { once: true });
  try {
    for (;;) {
      const event = queue.shift();
      if (event === undefined) {
        if (aborted()) return;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (event.type === EventType.None && event.state === KeeperState.Expired) {
        throw new SessionExpiredError({ op: 'watch', path });
      }
      if (event.type === EventType.None && event.state === KeeperState.Closed) return;
      yield event;
    }
  } finally {
    signal?.removeEventListener('abort', rouse);
    await handle.remove();
  }
}

/**
 * watch PATH: prints a node's events as they come. `--once` (the default) sets ZooKeeper's
 * one-shot watches (data and children) and ends at the first event; `--persistent` and
 * `--recursive` hold a persistent watch (ZooKeeper 3.6+) until Ctrl+C.
 */
import { AddWatchMode, EventType, KeeperState, type WatchEvent } from '@zk-lab/zk-client';
import type { CommandSpec, ShellContext } from '../command-spec';
import { UsageError } from '../shell-errors';

const eventNames = new Map<number, string>(Object.entries(EventType).map(([k, v]) => [v, k]));
const stateNames = new Map<number, string>(Object.entries(KeeperState).map(([k, v]) => [v, k]));

export const watchCommand: CommandSpec = {
  name: 'watch',
  usage: '[--once|--persistent|--recursive] PATH',
  summary: "print a node's events as they come (Ctrl+C stops)",
  flags: [
    { name: 'once', help: 'one-shot watches: the first event, then stop (default)' },
    { name: 'persistent', short: 'p', help: 'every change of the node, until Ctrl+C' },
    { name: 'recursive', short: 'r', help: 'every change in the subtree, until Ctrl+C' },
  ],
  args: [1, 1],
  endsOnInterrupt: true,
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const modes = ['once', 'persistent', 'recursive'].filter((m) => args.flags.has(m));
    if (modes.length > 1)
      throw new UsageError('watch: give one of --once, --persistent, --recursive');
    const mode = modes[0] ?? 'once';
    if (mode === 'once') await watchOnce(shell, path);
    else await watchPersistent(shell, path, mode === 'recursive');
  },
};

function printEvent(shell: ShellContext, event: WatchEvent): void {
  const time = new Date().toISOString().slice(11, 23);
  const type =
    event.type === EventType.None
      ? (stateNames.get(event.state) ?? String(event.state))
      : (eventNames.get(event.type) ?? String(event.type));
  shell.out.result({ time: new Date().toISOString(), type, path: event.path || null }, () =>
    `${time} ${type} ${event.path}`.trimEnd(),
  );
}

async function watchOnce(shell: ShellContext, path: string): Promise<void> {
  let fired: (event: WatchEvent) => void = () => undefined;
  const first = new Promise<WatchEvent>((resolve) => (fired = resolve));
  const stat = await shell.client.exists(path, { watch: (e) => fired(e) });
  if (stat !== null) await shell.client.getChildren(path, { watch: (e) => fired(e) });
  shell.out.notice(
    `watching ${path} (${stat === null ? 'not there yet: waiting for its creation' : 'once'}); Ctrl+C stops`,
  );
  const event = await untilAborted(shell.signal, first);
  if (event !== null) printEvent(shell, event);
}

async function watchPersistent(
  shell: ShellContext,
  path: string,
  recursive: boolean,
): Promise<void> {
  const mode = recursive ? AddWatchMode.PERSISTENT_RECURSIVE : AddWatchMode.PERSISTENT;
  let ended: () => void = () => undefined;
  const expired = new Promise<null>((resolve) => (ended = () => resolve(null)));
  const handle = await shell.client.addWatch(path, mode, (event) => {
    printEvent(shell, event);
    if (event.type === EventType.None && event.state === KeeperState.Expired) ended();
  });
  shell.out.notice(`watching ${path} (${recursive ? 'recursive' : 'persistent'}); Ctrl+C stops`);
  try {
    await untilAborted(shell.signal, expired);
  } finally {
    await handle.remove().catch(() => undefined);
  }
}

/** The promise's value, or null once the signal aborts. */
function untilAborted<T>(signal: AbortSignal, promise: Promise<T>): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

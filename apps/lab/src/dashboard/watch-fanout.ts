/**
 * Who watches what, from the servers' `wchp` (lab mode only: the word walks every watch a
 * server holds, a cost not to put on someone else's ensemble unasked). Each reading tells the
 * page the paths under the root whose watchers changed since the last one: a one-shot watch
 * that fired and was not set again, a new waiter, a session gone. `wchp` does not say
 * whether a watch is one-shot or persistent.
 */
import type { WatchFanout } from '@zk-lab/dashboard';
import { fourLetterWord, refusedWord } from '@zk-lab/deploy';

/** Paths told per reading at most (a page that connects sees the first reading's). */
const MAX_PATHS_TOLD = 200;

/** Parses `wchp`: a path, then one tab-indented session id a line. */
export function parseWchp(text: string): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  let sessions: string[] | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('/')) {
      sessions = [];
      byPath.set(line.trim(), sessions);
    } else if (/^\s+0x[0-9a-f]+\s*$/i.test(line) && sessions !== null) {
      sessions.push(`0x${BigInt(line.trim()).toString(16)}`);
    }
  }
  return byPath;
}

/** One server's watches by path, or null (refused, or no answer). */
export async function readWatches(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<Map<string, string[]> | null> {
  try {
    const text = await fourLetterWord(host, port, 'wchp', timeoutMs);
    return refusedWord(text) === null ? parseWchp(text) : null;
  } catch {
    return null;
  }
}

type Watchers = WatchFanout['watchers'];

export class WatchFanoutTracker {
  private last = new Map<string, string>();

  constructor(private readonly root: string) {}

  /** The paths under the root whose watchers changed since the last reading. */
  changes(
    time: number,
    servers: readonly { server: number; byPath: Map<string, string[]> }[],
  ): WatchFanout[] {
    const prefix = this.root === '/' ? '/' : `${this.root}/`;
    const now = new Map<string, Watchers>();
    for (const { server, byPath } of servers) {
      for (const [path, sessions] of byPath) {
        if (path !== this.root && !path.startsWith(prefix)) continue;
        const watchers = now.get(path) ?? [];
        for (const session of sessions) watchers.push({ session, server });
        now.set(path, watchers);
      }
    }
    const told: WatchFanout[] = [];
    const keys = new Map<string, string>();
    for (const [path, watchers] of now) {
      watchers.sort((a, b) => a.server - b.server || a.session.localeCompare(b.session));
      const key = JSON.stringify(watchers);
      keys.set(path, key);
      if (this.last.get(path) !== key) told.push({ time, path, watchers });
    }
    for (const path of this.last.keys()) {
      if (!keys.has(path)) told.push({ time, path, watchers: [] });
    }
    this.last = keys;
    return told.sort((a, b) => a.path.localeCompare(b.path)).slice(0, MAX_PATHS_TOLD);
  }
}

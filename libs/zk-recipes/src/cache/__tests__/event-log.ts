/** Test helpers for the cache and discovery families: event logs and fresh tree reads. */
import type { EventEmitter } from 'node:events';
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';
import type { CacheChangeType, CacheEvents, ChildData } from '../events';
import { childPath } from '../mirror';

/** One cache event as a test compares it. */
export interface Seen {
  type: CacheChangeType | 'initialized';
  path: string;
  version: number;
  data: string;
  czxid: bigint;
}

/** Awaits a condition on a growing list, re-checked on every push (no polling). */
export class Waitable<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves once `condition(items)` holds; fails with `what` and the items after `timeoutMs`. */
  until(
    what: string,
    condition: (items: readonly T[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<void> {
    if (condition(this.items)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition(this.items)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; seen:\n${describe(this.items)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** Records every event of a cache, in order. */
export function recordEvents(cache: EventEmitter<CacheEvents>): Waitable<Seen> {
  const log = new Waitable<Seen>();
  const seen = (type: CacheChangeType) => (node: ChildData) =>
    log.push({
      type,
      path: node.path,
      version: node.stat.version,
      data: node.data.toString(),
      czxid: node.stat.czxid,
    });
  cache.on('added', seen('added'));
  cache.on('updated', seen('updated'));
  cache.on('removed', seen('removed'));
  cache.on('initialized', () =>
    log.push({ type: 'initialized', path: '', version: -1, data: '', czxid: 0n }),
  );
  return log;
}

/** `[type, path, version, data]`: an event as a scenario writes it. */
export type Expected = [CacheChangeType | 'initialized', string, number?, string?];

/** The events as `[type, path, version, data]` (initialized as `['initialized', '']`). */
export function brief(events: readonly Seen[]): Expected[] {
  return events.map((e) =>
    e.type === 'initialized' ? ['initialized', ''] : [e.type, e.path, e.version, e.data],
  );
}

/** A node as the server has it now, read fresh. */
export interface FreshNode {
  path: string;
  data: string;
  version: number;
  czxid: bigint;
}

/** Reads `root` and everything under it from the server, sorted by path. */
export async function freshTree(client: ZkClient, root: string): Promise<FreshNode[]> {
  const nodes: FreshNode[] = [];
  const visit = async (path: string): Promise<void> => {
    try {
      const { data, stat } = await client.getData(path);
      nodes.push({ path, data: data.toString(), version: stat.version, czxid: stat.czxid });
      const names = await client.getChildren(path);
      await Promise.all(names.map((name) => visit(childPath(path, name))));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  };
  await visit(root);
  return nodes.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** What a cache holds, in the form of freshTree. */
export function held(entries: readonly ChildData[]): FreshNode[] {
  return entries
    .map((n) => ({
      path: n.path,
      data: n.data.toString(),
      version: n.stat.version,
      czxid: n.stat.czxid,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Per node incarnation (path and czxid), the versions the events reported, in order: they
 * must only go up.
 */
export function versionsByNode(events: readonly Seen[]): Map<string, number[]> {
  const versions = new Map<string, number[]>();
  for (const e of events) {
    if (e.type === 'initialized' || e.type === 'removed') continue;
    const key = `${e.path}@${e.czxid}`;
    const list = versions.get(key) ?? [];
    list.push(e.version);
    versions.set(key, list);
  }
  return versions;
}

export function isIncreasing(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v > (values[i - 1] ?? -Infinity));
}

function describe<T>(items: readonly T[]): string {
  return items
    .map((item) => JSON.stringify(item, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)))
    .join('\n');
}

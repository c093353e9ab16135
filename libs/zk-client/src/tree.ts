/**
 * Operations over several nodes, built on the single-node calls: ensure a path,
 * delete a subtree, and Curator's protected create. Each is safe to run concurrently
 * with other clients doing the same.
 */
import { randomUUID } from 'node:crypto';
import {
  ClientClosedError,
  ConnectionLossError,
  NodeExistsError,
  NoAuthError,
  NoNodeError,
  NotEmptyError,
  SessionExpiredError,
} from './errors';
import type { ACL } from './protocol';

/** The calls these operations need (ZkClient has them). */
export interface TreeClient {
  create(path: string, data?: Buffer | string, options?: { acl?: readonly ACL[] }): Promise<string>;
  exists(path: string): Promise<unknown>;
  getChildren(path: string): Promise<string[]>;
  delete(path: string, version?: number): Promise<void>;
}

/**
 * Creates `path` and every missing ancestor (empty, persistent). Existing nodes are kept,
 * also under a parent this client may not create in: the server checks CREATE on the
 * parent before it looks for the node, so such a node answers NoAuth, not NodeExists, and
 * is then looked for.
 */
export async function ensurePath(
  client: TreeClient,
  path: string,
  acl?: readonly ACL[],
): Promise<void> {
  if (path === '/' || (await client.exists(path)) !== null) return;
  let prefix = '';
  for (const segment of path.slice(1).split('/')) {
    prefix += `/${segment}`;
    try {
      await client.create(prefix, undefined, acl === undefined ? {} : { acl });
    } catch (error) {
      if (error instanceof NodeExistsError) continue;
      if (error instanceof NoAuthError && (await client.exists(prefix)) !== null) continue;
      throw error;
    }
  }
}

/**
 * Deletes `path` and everything under it, children first. A node another client adds
 * meanwhile is deleted too (the walk starts again, a bounded number of times); a node
 * already gone is fine. Deleting "/" is refused.
 */
export async function deleteRecursive(client: TreeClient, path: string): Promise<void> {
  if (path === '/') throw new RangeError('deleteRecursive("/") would delete everything');
  for (let round = 1; ; round++) {
    let children: string[];
    try {
      children = await client.getChildren(path);
    } catch (error) {
      if (error instanceof NoNodeError) return;
      throw error;
    }
    const base = path === '/' ? '' : path;
    await Promise.all(children.map((child) => deleteRecursive(client, `${base}/${child}`)));
    try {
      await client.delete(path);
      return;
    } catch (error) {
      if (error instanceof NoNodeError) return;
      if (!(error instanceof NotEmptyError) || round >= 10) throw error;
    }
  }
}

/** The parent path and the node name of a path ("/a/b-" → "/a", "b-"). */
export function splitPath(path: string): { parent: string; name: string } {
  const at = path.lastIndexOf('/');
  return { parent: at === 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

/** The unique name prefix of a protected create: `_c_<uuid>-`, as Curator names it. */
export function protectedPrefix(): string {
  return `_c_${randomUUID()}-`;
}

/**
 * Runs a create whose node name starts with a unique `prefix`. When the connection drops
 * during it, the client cannot know whether the server applied it, so it syncs (the server
 * it reconnected to may be a follower that has not applied the create yet), lists the
 * parent and looks for its prefix before it tries again: one node at most, never two, as
 * long as nothing else moves or deletes the node meanwhile (a consumer that renames what it
 * takes defeats the lookup: use a marker created in the same transaction instead).
 */
export async function createProtected(
  create: (path: string) => Promise<string>,
  client: Pick<TreeClient, 'getChildren'> & { sync(path: string): Promise<void> },
  path: string,
  prefix: string,
  attempts: number,
): Promise<string> {
  const { parent, name } = splitPath(path);
  const base = parent === '/' ? '' : parent;
  const target = `${base}/${prefix}${name}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await create(target);
    } catch (error) {
      if (!(error instanceof ConnectionLossError)) throw error;
      await client.sync(parent);
      const found = (await client.getChildren(parent)).find((child) => child.startsWith(prefix));
      if (found !== undefined) return `${base}/${found}`;
      if (attempt >= attempts) throw error;
    }
  }
}

/** Options of `deleteGuaranteed`. */
export interface GuaranteedDeleteOptions {
  /** Tries in all; a connection loss on the last one is thrown. Default 20. */
  attempts?: number;
  /**
   * Stop (the node counts as gone) once this is false: for an ephemeral node, "the session
   * that owns it is still this client's", since a node goes with its session.
   */
  stillNeeded?: () => boolean;
}

/**
 * Curator's guaranteed delete: deletes `path` and tries again after a connection loss (the
 * delete may or may not have been applied). A node already gone, or gone with the session
 * (SessionExpiredError, ClientClosedError), counts as deleted.
 */
export async function deleteGuaranteed(
  client: Pick<TreeClient, 'delete'>,
  path: string,
  options: GuaranteedDeleteOptions = {},
): Promise<void> {
  const attempts = options.attempts ?? 20;
  for (let tries = 1; options.stillNeeded?.() ?? true; tries++) {
    try {
      await client.delete(path);
      return;
    } catch (error) {
      if (
        error instanceof NoNodeError ||
        error instanceof SessionExpiredError ||
        error instanceof ClientClosedError
      ) {
        return;
      }
      if (!(error instanceof ConnectionLossError) || tries >= attempts) throw error;
    }
  }
}

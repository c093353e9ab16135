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
import { baseName, parentPath } from './paths';
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

/** Requests of one deleteRecursive in flight at once, at most. */
export const DELETE_RECURSIVE_WINDOW = 1_000;

/**
 * Deletes `path` and everything under it, children first. A node another client adds
 * meanwhile is deleted too (the walk starts again, a bounded number of times); a node
 * already gone is fine. Deleting "/" is refused. At most `window` requests are in flight
 * at once (review zk-client 1.17): a node with 200,000 children is not 200,000 requests in
 * one burst, which can stall the event loop past the session timeout.
 */
export async function deleteRecursive(
  client: TreeClient,
  path: string,
  window = DELETE_RECURSIVE_WINDOW,
): Promise<void> {
  if (path === '/') throw new RangeError('deleteRecursive("/") would delete everything');
  await deleteTree(client, path, new Slots(window));
}

async function deleteTree(client: TreeClient, path: string, slots: Slots): Promise<void> {
  for (let round = 1; ; round++) {
    let children: string[];
    try {
      children = await slots.run(() => client.getChildren(path));
    } catch (error) {
      if (error instanceof NoNodeError) return;
      throw error;
    }
    await Promise.all(children.map((child) => deleteTree(client, `${path}/${child}`, slots)));
    try {
      await slots.run(() => client.delete(path));
      return;
    } catch (error) {
      if (error instanceof NoNodeError) return;
      if (!(error instanceof NotEmptyError) || round >= 10) throw error;
    }
  }
}

/** At most `size` calls running at once; the others wait their turn, in order. */
class Slots {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((go) => this.queue.push(go));
    else this.running++;
    try {
      return await call();
    } finally {
      const next = this.queue.shift();
      if (next === undefined) this.running--;
      else next(); // the slot passes on
    }
  }
}

/** The parent path and the node name of a path ("/a/b-" → "/a", "b-"). */
export function splitPath(path: string): { parent: string; name: string } {
  return { parent: parentPath(path), name: baseName(path) };
}

/** The unique name prefix of a protected create: `_c_<uuid>-`, as Curator names it. */
export function protectedPrefix(): string {
  return `_c_${randomUUID()}-`;
}

/** What a protected create reads of the client besides the create itself. */
export interface ProtectedCreateClient extends Pick<TreeClient, 'getChildren' | 'delete'> {
  exists(path: string): Promise<{ ephemeralOwner: bigint } | null>;
  sync(path: string): Promise<void>;
  readonly sessionId: bigint;
}

/**
 * Runs a create whose node name starts with a unique `prefix`. When the connection drops
 * during it, the client cannot know whether the server applied it, so it syncs (the server
 * it reconnected to may be a follower that has not applied the create yet), lists the
 * parent and looks for its prefix before it tries again: one node at most, never two, as
 * long as nothing else moves or deletes the node meanwhile (a consumer that renames what it
 * takes defeats the lookup: use a marker created in the same transaction instead).
 *
 * Across a lost session (review zk-client 1.6):
 * - A persistent node outlives its session, so a session lost during the lookup does not
 *   fail the create: it looks again in the new session and returns the node if it was
 *   made. It never reports failure for a node it made.
 * - An ephemeral node belongs to the session that sent the create. If that session is no
 *   longer the client's, the create fails with SessionExpiredError, and a node it may have
 *   made (the ensemble can keep a session the client gave up alive for a while) is deleted:
 *   it never adopts a node of an earlier session.
 */
export async function createProtected(
  create: (path: string) => Promise<string>,
  client: ProtectedCreateClient,
  path: string,
  prefix: string,
  attempts: number,
  ephemeral: boolean,
): Promise<string> {
  const { parent, name } = splitPath(path);
  const base = parent === '/' ? '' : parent;
  const target = `${base}/${prefix}${name}`;
  for (let attempt = 1; ; attempt++) {
    const session = client.sessionId;
    try {
      return await create(target);
    } catch (error) {
      if (!(error instanceof ConnectionLossError)) throw error;
      const found = await lookUp(client, parent, prefix, attempts, ephemeral);
      if (ephemeral && (session === 0n || client.sessionId !== session)) {
        if (found !== null) await deleteGuaranteed(client, found);
        throw new SessionExpiredError({ op: 'create', path });
      }
      if (found !== null) {
        if (!ephemeral) return found;
        const stat = await client.exists(found);
        if (stat !== null && stat.ephemeralOwner === session) return found;
      }
      if (attempt >= attempts) throw error;
    }
  }
}

/**
 * The node named with `prefix` under `parent` (synced first), or null. For a persistent
 * node, a session lost meanwhile means: look again in the next one.
 */
async function lookUp(
  client: ProtectedCreateClient,
  parent: string,
  prefix: string,
  attempts: number,
  ephemeral: boolean,
): Promise<string | null> {
  const base = parent === '/' ? '' : parent;
  for (let tries = 1; ; tries++) {
    try {
      await client.sync(parent);
      const found = (await client.getChildren(parent)).find((child) => child.startsWith(prefix));
      return found === undefined ? null : `${base}/${found}`;
    } catch (error) {
      const retry =
        error instanceof SessionExpiredError ? !ephemeral : error instanceof ConnectionLossError;
      if (!retry || tries >= attempts) throw error;
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
 * delete may or may not have been applied) and after a lost session, in the new one (review
 * zk-client 1.16: a persistent node outlives its session, and an ephemeral one may outlive
 * it on the servers for a while). A node already gone counts as deleted, and so does any
 * node once the client is closed (ClientClosedError). A client that makes no new session
 * after LOST (`newSessionAfterLost: false`) fails with SessionExpiredError after `attempts`.
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
      if (error instanceof NoNodeError || error instanceof ClientClosedError) return;
      const again = error instanceof ConnectionLossError || error instanceof SessionExpiredError;
      if (!again || tries >= attempts) throw error;
    }
  }
}

/**
 * GroupMember: membership of a group of processes, as Curator's GroupMember and kazoo's
 * Party. Each member keeps an ephemeral node `<groupPath>/<memberId>` holding its payload
 * (a PersistentNode), and sees the whole group through a ChildrenCache of `groupPath`.
 *
 * The node's name is the member id, so a member is one entry whatever happens to its
 * sessions: a member whose session is lost rejoins under the same name in its new session,
 * and the others see it leave and come back, never twice at once. Two live members with
 * one id do not both join: the second waits (reporting a NodeConflictError) until the
 * first one's node goes.
 *
 * Connection loss:
 * - SUSPENDED: the member stays in the group while its session lives; its list may be
 *   stale.
 * - RECONNECTED: its node is checked (and made, if a create's reply was lost); the list is
 *   read again and what changed meanwhile is reported.
 * - LOST: its node goes with the session; the others see it leave. In the client's new
 *   session it joins again, and its list is read again.
 */
import { EventEmitter } from 'node:events';
import { validatePath, type ZkClient } from '@zk-lab/zk-client';
import { ChildrenCache } from '../cache/children-cache';
import type { ChildData } from '../cache/events';
import { Lifecycle, type RecipeState } from '../common/lifecycle';
import { safeEmit } from '../common/safe-emit';
import { InvalidMemberIdError } from './errors';
import { PersistentNode } from './persistent-node';

export interface GroupMemberEvents {
  /** A member is in the group (at start: each one already there, this one included). */
  joined: [memberId: string, payload: Buffer];
  /** A member's payload changed. */
  updated: [memberId: string, payload: Buffer];
  /** A member left (closed, or its session ended). */
  left: [memberId: string];
  /** From the member's node or from the group's list (see PersistentNode, ChildrenCache). */
  error: [error: Error];
}

export class GroupMember extends EventEmitter<GroupMemberEvents> {
  private readonly lifecycle = new Lifecycle('GroupMember');
  private readonly node: PersistentNode;
  private readonly group: ChildrenCache;

  constructor(
    client: ZkClient,
    readonly groupPath: string,
    readonly memberId: string,
    payload: Buffer | string = Buffer.alloc(0),
  ) {
    super();
    validatePath(groupPath, { op: 'GroupMember' });
    if (memberId === '' || memberId.includes('/') || memberId === '.' || memberId === '..') {
      throw new InvalidMemberIdError(`member id ${JSON.stringify(memberId)} is not a node name`);
    }
    this.node = new PersistentNode(
      client,
      `${groupPath === '/' ? '' : groupPath}/${memberId}`,
      payload,
    );
    this.group = new ChildrenCache(client, groupPath);
    this.node.on('error', (error) => this.report(error));
    this.group.on('error', (error) => this.report(error));
    this.group.on('added', (child) => this.announce('joined', child));
    this.group.on('updated', (child) => this.announce('updated', child));
    this.group.on('removed', (child) => safeEmit(this, 'GroupMember', 'left', nameOf(child)));
  }

  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /**
   * Joins the group and reads it. Resolves once this member's node is in place and the
   * group's list (this member in it) is read; rejects as PersistentNode.start() and
   * ChildrenCache.start() do, and the member is then closed.
   */
  async start(): Promise<void> {
    this.lifecycle.start();
    try {
      await this.node.start();
      await this.group.start();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** The members, by id, with their payloads, as last read. */
  members(): Map<string, Buffer> {
    return new Map(this.group.entries().map((child) => [nameOf(child), child.data]));
  }

  /** Sets this member's payload; as PersistentNode.setData(). */
  async setPayload(payload: Buffer | string): Promise<void> {
    this.lifecycle.assertStarted();
    await this.node.setData(payload);
  }

  /** Stops the list (no event after it), then leaves the group (deletes this member's node). Idempotent. */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    try {
      await this.group.close();
    } finally {
      await this.node.close();
    }
  }

  private announce(event: 'joined' | 'updated', child: ChildData): void {
    safeEmit(this, 'GroupMember', event, nameOf(child), child.data);
  }

  private report(error: Error): void {
    if (!safeEmit(this, 'GroupMember', 'error', error)) process.emitWarning(error);
  }
}

function nameOf(child: ChildData): string {
  return child.path.slice(child.path.lastIndexOf('/') + 1);
}

/**
 * The leader epoch (`/epoch`): each new leader CAS-increments it before it writes anything,
 * and every leader write checks `/epoch` at the version it set. A newer leader has moved
 * the version on, so a deposed leader's transactions fail as a whole: the fence.
 *
 * The epoch never goes backwards, even when `/epoch` is deleted. Invariant: the stored
 * epoch is at most the zxid of the last write to `/epoch` (each claim adds 1 and is itself
 * a write, so a new zxid). When the node is missing, the claim re-creates it seeded with
 * the root's pzxid: the zxid of the last child change of the root, at or after the
 * deletion, so above every epoch issued before. Only a namespace whose root never lost a
 * child (cversion = children: no `/epoch` ever existed) starts at 1. A hand-written value
 * above the zxid breaks the invariant; nothing else does.
 *
 * A claim is cancellable: the signal is checked before every write, so a term that was
 * stopped while its claim was in flight can never move `/epoch` past the claim of the next
 * term (review F1, interleaving B).
 */
import {
  type ACL,
  BadVersionError,
  NodeExistsError,
  NoNodeError,
  type Transaction,
  type ZkClient,
} from '@zk-lab/zk-client';
import { PATHS } from '@zk-lab/lab-core';

export interface EpochClaim {
  /** The epoch this leader writes on its task nodes. */
  epoch: number;
  /** The `/epoch` version its transactions check. */
  version: number;
  /**
   * The leader's election node: transactions also check that it exists, so a deposed
   * leader (its node gone) is fenced even if `/epoch` was re-created at an old version.
   */
  leaderNode?: string;
}

/**
 * The epoch as stored, or, when the data is not a number (written by hand), the version
 * plus one: each increment moves both on by one from epoch 1 at version 0, so the epoch
 * never goes backwards.
 */
export function storedEpoch(data: Buffer, version: number): number {
  const text = data.toString('utf8').trim();
  const value = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(value) ? Math.max(value, version + 1) : version + 1;
}

/** The first epoch of a re-created `/epoch`: above every epoch issued before (see above). */
async function seedEpoch(client: ZkClient): Promise<number> {
  const root = await client.exists('/');
  if (root === null) throw new NoNodeError({ op: 'exists', path: '/' });
  if (root.cversion === root.numChildren) return 1;
  return Number(root.pzxid) + 1;
}

/** Claims the next epoch. Rejects with the signal's reason once it aborts, before any write. */
export async function claimEpoch(
  client: ZkClient,
  acl: readonly ACL[],
  options: { signal?: AbortSignal; leaderNode?: string } = {},
): Promise<EpochClaim> {
  const { signal, leaderNode } = options;
  const node = leaderNode === undefined ? {} : { leaderNode };
  for (;;) {
    signal?.throwIfAborted();
    let current: { data: Buffer; stat: { version: number } };
    try {
      current = await client.getData(PATHS.epoch);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      const seed = await seedEpoch(client);
      signal?.throwIfAborted();
      try {
        await client.create(PATHS.epoch, String(seed), { acl });
        return { epoch: seed, version: 0, ...node };
      } catch (createError) {
        if (createError instanceof NodeExistsError) continue;
        throw createError;
      }
    }
    const next = storedEpoch(current.data, current.stat.version) + 1;
    signal?.throwIfAborted();
    try {
      const stat = await client.setData(PATHS.epoch, String(next), current.stat.version);
      return { epoch: next, version: stat.version, ...node };
    } catch (error) {
      if (!(error instanceof BadVersionError)) throw error;
    }
  }
}

/** How many leading ops of a fenced transaction are the fence. */
export function fenceOps(claim: EpochClaim): number {
  return claim.leaderNode === undefined ? 1 : 2;
}

/** A transaction that starts with the fence: the `/epoch` check, then the leader's node. */
export function fencedMulti(client: ZkClient, claim: EpochClaim): Transaction {
  const multi = client.multi().check(PATHS.epoch, claim.version);
  return claim.leaderNode === undefined ? multi : multi.check(claim.leaderNode, -1);
}

/**
 * The leader epoch (`/epoch`): each new leader CAS-increments it before it writes anything,
 * and every leader write checks `/epoch` at the version it set. A newer leader has moved
 * the version on, so a deposed leader's transactions fail as a whole: the fence.
 */
import {
  type ACL,
  BadVersionError,
  NodeExistsError,
  NoNodeError,
  type ZkClient,
} from '@zk-lab/zk-client';
import { PATHS } from '@zk-lab/lab-core';

export interface EpochClaim {
  /** The epoch this leader writes on its task nodes. */
  epoch: number;
  /** The `/epoch` version its transactions check. */
  version: number;
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

export async function claimEpoch(client: ZkClient, acl: readonly ACL[]): Promise<EpochClaim> {
  for (;;) {
    let current: { data: Buffer; stat: { version: number } };
    try {
      current = await client.getData(PATHS.epoch);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      try {
        await client.create(PATHS.epoch, '1', { acl });
        return { epoch: 1, version: 0 };
      } catch (createError) {
        if (createError instanceof NodeExistsError) continue;
        throw createError;
      }
    }
    const next = storedEpoch(current.data, current.stat.version) + 1;
    try {
      const stat = await client.setData(PATHS.epoch, String(next), current.stat.version);
      return { epoch: next, version: stat.version };
    } catch (error) {
      if (!(error instanceof BadVersionError)) throw error;
    }
  }
}

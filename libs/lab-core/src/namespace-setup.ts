import { type ACL, NodeExistsError, type ZkClient } from '@zk-lab/zk-client';
import { SYSTEM_PARENTS } from './namespace';

/**
 * Creates the system parents that are missing, with the system ACL (the root itself is
 * made by the client's `root` option). Safe to run from every app at once.
 */
export async function ensureSystemParents(client: ZkClient, acl: readonly ACL[]): Promise<void> {
  await Promise.all(
    SYSTEM_PARENTS.map(async (path) => {
      if ((await client.exists(path)) !== null) return;
      try {
        await client.create(path, undefined, { acl });
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
      }
    }),
  );
}

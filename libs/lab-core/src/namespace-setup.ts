import type { ACL, ZkClient } from '@zk-lab/zk-client';
import { SYSTEM_PARENTS } from './namespace';

/**
 * Creates the system parents that are missing, with the system ACL (the root itself is
 * made by the client's `root` option). Safe to run from every app at once.
 */
export async function ensureSystemParents(client: ZkClient, acl: readonly ACL[]): Promise<void> {
  await Promise.all(SYSTEM_PARENTS.map((path) => client.ensurePath(path, acl)));
}

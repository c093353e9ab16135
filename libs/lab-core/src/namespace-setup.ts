import type { ZkClient } from '@zk-lab/zk-client';
import { type NamespaceAcls, parentAcl } from './credentials';
import { SYSTEM_PARENTS } from './namespace';

/**
 * Creates the system parents that are missing, each with its own ACL (the root itself is
 * made by the client's `root` option). Safe to run from every app at once.
 */
export async function ensureSystemParents(client: ZkClient, acls: NamespaceAcls): Promise<void> {
  await Promise.all(SYSTEM_PARENTS.map((path) => client.ensurePath(path, parentAcl(acls, path))));
}

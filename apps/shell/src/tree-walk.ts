/**
 * Visits a subtree level by level, many reads in flight at once (one getChildren2 per node
 * gives its children and its Stat). A node deleted during the walk is skipped.
 */
import { NoNodeError, type Stat, type ZkClient } from '@zk-lab/zk-client';
import { joinPath } from './znode-paths';

export interface VisitedNode {
  path: string;
  /** 0 for the walk's root. */
  depth: number;
  stat: Stat;
  /** Child names, sorted. */
  children: string[];
}

const IN_FLIGHT = 256;

/** Every node under `root` (itself included) down to `maxDepth`, in breadth-first order. */
export async function walkTree(
  client: ZkClient,
  root: string,
  options: { maxDepth?: number; signal?: AbortSignal } = {},
): Promise<VisitedNode[]> {
  const { maxDepth = Number.POSITIVE_INFINITY, signal } = options;
  const visited: VisitedNode[] = [];
  let level = [root];
  for (let depth = 0; level.length > 0; depth++) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += IN_FLIGHT) {
      signal?.throwIfAborted();
      const chunk = level.slice(i, i + IN_FLIGHT);
      const read = await Promise.all(chunk.map((path) => readNode(client, path, depth === 0)));
      read.forEach((node, k) => {
        if (node === null) return;
        const path = chunk[k]!;
        const children = node.children.sort();
        visited.push({ path, depth, stat: node.stat, children });
        // A loop, not push(...children): a node may have 100,000 children.
        if (depth < maxDepth) for (const name of children) next.push(joinPath(path, name));
      });
    }
    level = next;
  }
  return visited;
}

async function readNode(
  client: ZkClient,
  path: string,
  mustExist: boolean,
): Promise<{ children: string[]; stat: Stat } | null> {
  try {
    return await client.getChildrenWithStat(path);
  } catch (error) {
    if (error instanceof NoNodeError && !mustExist) return null;
    throw error;
  }
}

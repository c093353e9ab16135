/**
 * A znode's Stat as the shell shows it: each field with its meaning, the node's kind, and a
 * JSON form.
 */
import type { Stat } from '@zk-lab/zk-client';

export type NodeKind = 'persistent' | 'ephemeral';

/**
 * Ephemeral or persistent. Containers and TTL nodes look persistent: the server keeps their
 * kind in the owner field but hands clients 0 there (DataNode.copyStat).
 */
export function nodeKind(stat: Stat): NodeKind {
  return stat.ephemeralOwner === 0n ? 'persistent' : 'ephemeral';
}

/** The owning session of an ephemeral node, `0x…`; '' for every other kind. */
export function ownerOf(stat: Stat): string {
  return nodeKind(stat) === 'ephemeral' ? hex(stat.ephemeralOwner) : '';
}

export function hex(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16)}`;
}

export function isoTime(ms: bigint): string {
  return new Date(Number(ms)).toISOString();
}

interface StatRow {
  name: string;
  value: string;
  meaning: string;
}

/** The fields in zkCli's order and names, each with what it means. */
export function statRows(stat: Stat): StatRow[] {
  const owner =
    nodeKind(stat) === 'ephemeral'
      ? `the session owning this ephemeral node; it goes when that session ends`
      : 'no session: a persistent node (containers and TTL nodes show 0 too)';
  return [
    { name: 'cZxid', value: hex(stat.czxid), meaning: 'the transaction that created the node' },
    { name: 'ctime', value: isoTime(stat.ctime), meaning: 'when it was created' },
    { name: 'mZxid', value: hex(stat.mzxid), meaning: 'the transaction that last set its data' },
    { name: 'mtime', value: isoTime(stat.mtime), meaning: 'when its data was last set' },
    {
      name: 'pZxid',
      value: hex(stat.pzxid),
      meaning: 'the transaction that last added or removed a child',
    },
    {
      name: 'cversion',
      value: String(stat.cversion),
      meaning: 'how many times its children changed',
    },
    {
      name: 'dataVersion',
      value: String(stat.version),
      meaning: 'how many times its data was set (set -v and rm -v check this)',
    },
    { name: 'aclVersion', value: String(stat.aversion), meaning: 'how many times its ACL was set' },
    { name: 'ephemeralOwner', value: hex(stat.ephemeralOwner), meaning: owner },
    { name: 'dataLength', value: String(stat.dataLength), meaning: 'bytes of data' },
    { name: 'numChildren', value: String(stat.numChildren), meaning: 'direct children' },
  ];
}

/** The Stat with JSON-safe values: zxids and sessions as `0x…`, times as ISO strings. */
export function statJson(stat: Stat): Record<string, string | number> {
  const json: Record<string, string | number> = { kind: nodeKind(stat) };
  for (const row of statRows(stat)) {
    json[row.name] = /^\d+$/.test(row.value) ? Number(row.value) : row.value;
  }
  return json;
}

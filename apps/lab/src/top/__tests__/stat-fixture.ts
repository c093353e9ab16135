import type { Stat } from '@zk-lab/zk-client';

/** A Stat for model tests: a persistent node made and changed at `zxid`, unless told. */
export function statOf(zxid: bigint, fields: Partial<Stat> = {}): Stat {
  return {
    czxid: zxid,
    mzxid: zxid,
    ctime: 0n,
    mtime: 0n,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: 0n,
    dataLength: 0,
    numChildren: 0,
    pzxid: zxid,
    ...fields,
  };
}

/** ACLs as zkCli writes them: `world:anyone:cdrwa,digest:bob:<hash>:r`, perms in cdrwa letters. */
import { type ACL, Perms } from '@zk-lab/zk-client';
import { UsageError } from './shell-errors';

const LETTERS: [string, number][] = [
  ['c', Perms.CREATE],
  ['d', Perms.DELETE],
  ['r', Perms.READ],
  ['w', Perms.WRITE],
  ['a', Perms.ADMIN],
];

export function permsText(perms: number): string {
  return LETTERS.filter(([, bit]) => (perms & bit) !== 0)
    .map(([letter]) => letter)
    .join('');
}

export function aclText(acl: ACL): string {
  return `${acl.id.scheme}:${acl.id.id}:${permsText(acl.perms)}`;
}

/** Parses a comma-separated ACL list; the id is what lies between the scheme and the perms. */
export function parseAcl(text: string): ACL[] {
  return text.split(',').map((entry) => {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    if (first < 0 || last === first) {
      throw new UsageError(`bad ACL entry ${JSON.stringify(entry)}: expected scheme:id:perms`);
    }
    const letters = entry.slice(last + 1);
    let perms = 0;
    for (const letter of letters) {
      const bit = LETTERS.find(([l]) => l === letter)?.[1];
      if (bit === undefined) {
        throw new UsageError(`bad permissions ${JSON.stringify(letters)}: use letters of cdrwa`);
      }
      perms |= bit;
    }
    return { perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } };
  });
}

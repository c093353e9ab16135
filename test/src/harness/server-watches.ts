import { fourLetterWord, parseWchc } from '@zk-lab/deploy';

/**
 * The watches the servers of `connectString` hold for the given sessions, read with `wchc`
 * from every server (a session's watches live on the server that holds its connection):
 * what the client library left behind, as ZooKeeper itself counts it, one path per watch.
 */
export async function serverWatchesOf(
  connectString: string,
  sessionIds: readonly bigint[],
): Promise<string[]> {
  const paths: string[] = [];
  for (const address of connectString.split('/')[0]!.split(',')) {
    const at = address.lastIndexOf(':');
    const answer = await fourLetterWord(
      address.slice(0, at),
      Number(address.slice(at + 1)),
      'wchc',
      2_000,
    );
    const bySession = parseWchc(answer);
    for (const id of sessionIds) paths.push(...(bySession.get(id) ?? []));
  }
  return paths.sort();
}

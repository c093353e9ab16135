import { fourLetterWord, parseWchc } from '@zk-lab/deploy';
import type { ZkClient } from '@zk-lab/zk-client';

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
  for (const answer of await askEvery(connectString, 'wchc')) {
    const bySession = parseWchc(answer);
    for (const id of sessionIds) paths.push(...(bySession.get(id) ?? []));
  }
  return paths.sort();
}

/**
 * How many watches the servers of `connectString` hold on paths under `prefix`, whoever set
 * them: `wchp` lists each watched path, then one tab-indented line per session watching it.
 * A prefix of the test's own keeps tests running beside it on the ensemble out of the count.
 */
export async function serverWatchesUnder(connectString: string, prefix: string): Promise<number> {
  let total = 0;
  for (const answer of await askEvery(connectString, 'wchp')) {
    let counting = false;
    for (const line of answer.split('\n')) {
      if (line.startsWith('/')) counting = line.startsWith(prefix);
      else if (counting && /^\s+0x[0-9a-f]+/i.test(line)) total++;
    }
  }
  return total;
}

/**
 * The paths under `prefix` that the client's watch registry holds a listener for. The
 * registry is private to the client: this reads it the way the client itself does.
 */
export function registeredWatchPaths(client: ZkClient, prefix: string): string[] {
  const registry = (client as unknown as { watches: { byPath: Map<string, unknown> } }).watches;
  return [...registry.byPath.keys()].filter((path) => path.startsWith(prefix));
}

/** One four-letter word's answer from every server of the connect string, in order. */
async function askEvery(connectString: string, word: 'wchc' | 'wchp'): Promise<string[]> {
  const answers: string[] = [];
  for (const address of connectString.split('/')[0]!.split(',')) {
    const at = address.lastIndexOf(':');
    answers.push(
      await fourLetterWord(address.slice(0, at), Number(address.slice(at + 1)), word, 2_000),
    );
  }
  return answers;
}

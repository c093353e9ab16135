/**
 * Watch counts for the tests that prove a recipe leaves no watch behind: what the servers
 * hold (`wchp`), and the paths this client's watch registry still holds. Both are counted
 * under a path prefix of the test's own, so tests running beside it on the same ensemble
 * do not change them.
 */
import { connect } from 'node:net';
import type { ZkClient } from '@zk-lab/zk-client';

/** One four-letter word's whole answer (deploy's fourLetterWord knows no `wchp`). */
function ask(host: string, port: number, word: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${word} to ${host}:${port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * The watches every server of `connectString` holds on paths under `prefix`: `wchp` lists
 * each watched path, then one tab-indented line per session watching it.
 */
export async function serverWatchesUnder(connectString: string, prefix: string): Promise<number> {
  let total = 0;
  for (const server of connectString.split(',')) {
    const [host, port] = server.split(':');
    let counting = false;
    for (const line of (await ask(host!, Number(port), 'wchp')).split('\n')) {
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

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { fourLetterWord, type Ensemble } from '@zk-lab/deploy';

/** Polls `condition` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The id of the server that holds the connection of a session, read from the servers
 * themselves (`cons` lists each connection's session id), so no test guesses where a
 * client's shuffled host list led it.
 */
export async function serverOfSession(ensemble: Ensemble, sessionId: bigint): Promise<number> {
  const holders: number[] = [];
  const tls = ensemble.tls;
  const ca = tls === null ? undefined : { ca: readFileSync(tls.caPem) };
  for (const node of ensemble.nodes) {
    // A TLS connection is listed by the TLS port alone.
    const ports: [number, ConnectionOptions | undefined][] = [[node.clientPort, undefined]];
    if (node.secureClientPort !== undefined) ports.push([node.secureClientPort, ca]);
    let cons = '';
    for (const [port, secure] of ports) {
      cons += await fourLetterWord('127.0.0.1', port, 'cons', 2_000, secure).catch(() => '');
    }
    const sessions = [...cons.matchAll(/sid=0x([0-9a-f]+)/g)].map((m) => BigInt(`0x${m[1]}`));
    if (sessions.includes(sessionId)) holders.push(node.id);
  }
  if (holders.length !== 1) {
    throw new Error(`session 0x${sessionId.toString(16)} is on servers [${holders.join(', ')}]`);
  }
  return holders[0]!;
}

/**
 * The client connections each server lists (`cons`): which session is on which server, its
 * negotiated timeout, and when the server last answered it. `cons` only reads; its sibling
 * `crst` (which resets these counters) is never sent. A server may refuse `cons` (not in its
 * whitelist): then nothing is known of its connections, and the dashboard says nothing more.
 */
import { fourLetterWord, refusedWord } from '@zk-lab/deploy';

/** One connection that has a session, as `cons` lists it. */
export interface ConnectionEntry {
  /** `0x…`, as ZooKeeper prints session ids. */
  session: string;
  timeoutMs: number;
  /**
   * When the server last answered this client (a ping included), or null: ms on the
   * server's own monotonic clock, so only a change of it means anything here.
   */
  lastResponse: number | null;
  /** Packets received from the client. */
  received: number;
}

/** What `cons` said on one server. */
export type ServerConnections =
  | { server: number; state: 'listed'; connections: ConnectionEntry[] }
  | { server: number; state: 'refused' | 'unread' };

/**
 * Parses the answer to `cons`: one line per connection, ` /127.0.0.1:port[1](queued=0,
 * recved=9,sent=9,sid=0x…,lop=PING,est=…,to=4000,…,lresp=…,…)`. Connections with no session
 * yet (a four-letter word's own) are left out.
 */
export function parseCons(text: string): ConnectionEntry[] {
  const entries: ConnectionEntry[] = [];
  for (const line of text.split('\n')) {
    const open = line.indexOf('(');
    if (open < 0) continue;
    const fields = new Map<string, string>();
    for (const pair of line.slice(open + 1, line.lastIndexOf(')')).split(',')) {
      const at = pair.indexOf('=');
      if (at > 0) fields.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    const sid = fields.get('sid');
    const to = Number(fields.get('to'));
    if (sid === undefined || !/^0x[0-9a-f]+$/i.test(sid) || !Number.isFinite(to)) continue;
    const lresp = Number(fields.get('lresp'));
    entries.push({
      session: `0x${BigInt(sid).toString(16)}`,
      timeoutMs: to,
      lastResponse: Number.isFinite(lresp) && lresp > 0 ? lresp : null,
      received: Number(fields.get('recved') ?? 0),
    });
  }
  return entries;
}

/** Asks one server for `cons`. */
export async function readConnections(
  server: number,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ServerConnections> {
  try {
    const text = await fourLetterWord(host, port, 'cons', timeoutMs);
    if (refusedWord(text) !== null) return { server, state: 'refused' };
    return { server, state: 'listed', connections: parseCons(text) };
  } catch {
    return { server, state: 'unread' };
  }
}

/**
 * Where each session is connected, from every server's `cons`; null when some server that
 * is up refused or did not answer `cons` (a session on it would look unlisted).
 */
export function connectionsBySession(
  answers: readonly ServerConnections[],
  serversUp: ReadonlySet<number>,
): Map<string, ConnectionEntry & { server: number }> | null {
  const sessions = new Map<string, ConnectionEntry & { server: number }>();
  for (const answer of answers) {
    if (answer.state !== 'listed') {
      if (serversUp.has(answer.server)) return null;
      continue;
    }
    for (const entry of answer.connections) {
      const known = sessions.get(entry.session);
      // A client that moved leaves its old connection listed for a moment: keep the one
      // that received more (the clocks of two servers cannot be compared).
      if (known === undefined || entry.received > known.received) {
        sessions.set(entry.session, { ...entry, server: answer.server });
      }
    }
  }
  return sessions;
}

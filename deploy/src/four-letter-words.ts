import { connect } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/** The four-letter words the runner uses; the ensemble's config allows them all. */
export type FourLetterWord =
  'ruok' | 'srvr' | 'mntr' | 'stat' | 'cons' | 'wchs' | 'wchc' | 'wchp' | 'conf';

/**
 * Sends one four-letter word to a server's client port and returns its whole answer.
 * Rejects when the server does not answer within `timeoutMs` (a stopped or paused server).
 */
export function fourLetterWord(
  host: string,
  port: number,
  word: FourLetterWord,
  timeoutMs = 1000,
  /** Ask a TLS port (secureClientPort), with these options. */
  tls?: ConnectionOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = tls === undefined ? connect({ host, port }) : connectTls({ ...tls, host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${word} to ${host}:${port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** The server's role, as `srvr` reports it. */
export type ServerMode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only';

export interface SrvrReport {
  version: string;
  latency: { min: number; avg: number; max: number };
  received: number;
  sent: number;
  connections: number;
  outstanding: number;
  zxid: string;
  mode: ServerMode;
  znodes: number;
}

/**
 * Parses the answer to `srvr`. Returns null when the server answered without a mode: it is
 * up but not serving (for example "This ZooKeeper instance is not currently serving requests").
 */
export function parseSrvr(text: string): SrvrReport | null {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) fields.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  const mode = fields.get('Mode');
  if (mode === undefined) return null;
  const [min = 0, avg = 0, max = 0] = (fields.get('Latency min/avg/max') ?? '')
    .split('/')
    .map(Number);
  const num = (key: string): number => Number(fields.get(key) ?? NaN);
  return {
    version: fields.get('Zookeeper version') ?? '',
    latency: { min, avg, max },
    received: num('Received'),
    sent: num('Sent'),
    connections: num('Connections'),
    outstanding: num('Outstanding'),
    zxid: fields.get('Zxid') ?? '',
    mode: mode as ServerMode,
    znodes: num('Node count'),
  };
}

/** The total watch count in the answer to `wchs` ("Total watches:N"), or null. */
export function parseWchs(text: string): number | null {
  const match = /Total watches:\s*(\d+)/.exec(text);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/**
 * The answer to `wchc`: the paths each session watches on this server, by session id. A
 * session with no watch is not listed.
 */
export function parseWchc(text: string): Map<bigint, string[]> {
  const bySession = new Map<bigint, string[]>();
  let paths: string[] | null = null;
  for (const line of text.split('\n')) {
    const session = /^0x([0-9a-f]+)\s*$/i.exec(line);
    if (session) {
      paths = [];
      bySession.set(BigInt(`0x${session[1]}`), paths);
    } else if (line.startsWith('\t') && paths !== null) {
      paths.push(line.trim());
    }
  }
  return bySession;
}

/** Parses the answer to `mntr`: one `key<TAB>value` per line. */
export function parseMntr(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('\t');
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

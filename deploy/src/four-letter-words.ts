import { connect } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/**
 * The four-letter words the runner and the monitor use; the ensemble's config allows them all
 * unless it is given a whitelist. Never srst or crst: they reset what other tools read.
 */
export type FourLetterWord =
  'ruok' | 'srvr' | 'mntr' | 'stat' | 'cons' | 'wchs' | 'wchc' | 'wchp' | 'conf' | 'isro';

/** A server accepted the connection but sent no answer in time (paused, overloaded). */
export class FourLetterWordTimeoutError extends Error {
  override readonly name = 'FourLetterWordTimeoutError';
}

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
      reject(
        new FourLetterWordTimeoutError(
          `${word} to ${host}:${port}: no answer within ${timeoutMs} ms`,
        ),
      );
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

/**
 * The word a server refused because its `4lw.commands.whitelist` lacks it ("mntr is not
 * executed because it is not in the whitelist."), or null when the answer is no refusal.
 */
export function refusedWord(text: string): string | null {
  return /^(\w{4}) is not executed because it is not in the whitelist\./.exec(text)?.[1] ?? null;
}

/** Is the answer the one a server gives while it has no quorum (it serves no client)? */
export function isNotServing(text: string): boolean {
  return text.startsWith('This ZooKeeper instance is not currently serving requests');
}

/** A zxid split into the leader's epoch (high 32 bits) and the counter within it. */
export interface Zxid {
  hex: string;
  epoch: number;
  counter: number;
}

/** Parses a zxid as `srvr` prints it (`0x100000045`); null when it is not one. */
export function parseZxid(text: string): Zxid | null {
  if (!/^0x[0-9a-f]{1,16}$/i.test(text)) return null;
  const value = BigInt(text);
  return { hex: text, epoch: Number(value >> 32n), counter: Number(value & 0xffffffffn) };
}

/** What the monitor reads from `mntr` (ZooKeeper 3.8's names in the comments). */
export interface MntrReport {
  /** zk_server_state: leader, follower, observer, standalone. */
  state: string | null;
  /** zk_outstanding_requests */
  outstanding: number | null;
  /** zk_num_alive_connections */
  connections: number | null;
  /** zk_watch_count */
  watches: number | null;
  /** zk_ephemerals_count */
  ephemerals: number | null;
  /** zk_znode_count */
  znodes: number | null;
  /** zk_approximate_data_size, in bytes */
  dataSize: number | null;
  /** zk_open_file_descriptor_count */
  openFileDescriptors: number | null;
  /** zk_max_file_descriptor_count */
  maxFileDescriptors: number | null;
  /** zk_packets_received */
  packetsReceived: number | null;
  /** zk_packets_sent */
  packetsSent: number | null;
  /** zk_synced_followers (the leader only) */
  syncedFollowers: number | null;
  /** zk_min_latency, zk_avg_latency, zk_max_latency, in ms */
  latency: { min: number; avg: number; max: number } | null;
}

/** Reads the monitor's fields from an answer to `mntr`; a field it lacks is null. */
export function parseMntrReport(text: string): MntrReport {
  const fields = parseMntr(text);
  const num = (key: string): number | null => {
    const value = fields.get(key);
    return value === undefined || value === '' || Number.isNaN(Number(value))
      ? null
      : Number(value);
  };
  return {
    state: fields.get('zk_server_state') ?? null,
    outstanding: num('zk_outstanding_requests'),
    connections: num('zk_num_alive_connections'),
    watches: num('zk_watch_count'),
    ephemerals: num('zk_ephemerals_count'),
    znodes: num('zk_znode_count'),
    dataSize: num('zk_approximate_data_size'),
    openFileDescriptors: num('zk_open_file_descriptor_count'),
    maxFileDescriptors: num('zk_max_file_descriptor_count'),
    packetsReceived: num('zk_packets_received'),
    packetsSent: num('zk_packets_sent'),
    syncedFollowers: num('zk_synced_followers'),
    latency: latencyOf(num('zk_min_latency'), num('zk_avg_latency'), num('zk_max_latency')),
  };
}

function latencyOf(
  min: number | null,
  avg: number | null,
  max: number | null,
): { min: number; avg: number; max: number } | null {
  return min === null || avg === null || max === null ? null : { min, avg, max };
}

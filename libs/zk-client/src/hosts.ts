/**
 * The connect string ("host1:port,host2:port/optional/chroot") and the order
 * in which its servers are tried.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { BadArgumentsError } from './errors';
import { validatePath } from './paths';

export interface HostAddress {
  host: string;
  port: number;
}

export interface ConnectString {
  hosts: HostAddress[];
  /** '' when the connect string has no chroot. */
  chroot: string;
}

export const DEFAULT_PORT = 2181;

export function parseConnectString(connectString: string): ConnectString {
  const slash = connectString.indexOf('/');
  const hostPart = slash < 0 ? connectString : connectString.slice(0, slash);
  let chroot = slash < 0 ? '' : connectString.slice(slash);
  if (chroot === '/') chroot = '';
  if (chroot !== '') validatePath(chroot, { op: 'connect' });

  const hosts = hostPart
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseHost);
  if (hosts.length === 0)
    throw new BadArgumentsError(
      { op: 'connect', path: connectString },
      'no hosts in connect string',
    );
  return { hosts, chroot };
}

function parseHost(entry: string): HostAddress {
  // "[::1]:2181", "host:2181" or "host"
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) {
    return { host: bracketed[1] ?? '', port: parsePort(bracketed[2], entry) };
  }
  const colon = entry.lastIndexOf(':');
  if (colon < 0 || entry.indexOf(':') !== colon) return { host: entry, port: DEFAULT_PORT };
  return { host: entry.slice(0, colon), port: parsePort(entry.slice(colon + 1), entry) };
}

function parsePort(text: string | undefined, entry: string): number {
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new BadArgumentsError({ op: 'connect', path: entry }, 'invalid port');
  }
  return port;
}

/** Resolves a host name to every address it has (IPv4 or IPv6, as strings). */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

/** One server to try: an address a name of the connect string resolved to. */
export interface Endpoint {
  /** The name as the connect string gave it. */
  host: string;
  /** The address to connect to (the name itself when it is an IP address). */
  address: string;
  port: number;
}

/** The system's resolver (getaddrinfo), every address of the name. */
export const resolveWithDns: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true })).map((entry) => entry.address);

/**
 * The servers to try, round after round (review zk-client 1.4, as Java's StaticHostProvider
 * and kazoo): each round resolves every name of the connect string to all of its addresses
 * (a DNS round-robin name or a Kubernetes headless service is several servers, not one) and
 * tries them in a fresh random order, so that clients spread over the ensemble and a server
 * that accepts TCP but does not serve (out of quorum) is never the only one tried. A name
 * that does not resolve is left out of that round; a round with no address at all yields
 * null.
 */
export class HostRotation {
  private round: Endpoint[] = [];
  private index = 0;

  constructor(
    private readonly hosts: readonly HostAddress[],
    private readonly resolve: ResolveHost = resolveWithDns,
  ) {}

  /** How many servers a round holds (at least the connect string's entries). */
  get size(): number {
    return Math.max(this.round.length, this.hosts.length);
  }

  async next(): Promise<Endpoint | null> {
    if (this.index >= this.round.length) {
      this.round = shuffle(await this.expand());
      this.index = 0;
    }
    return this.round[this.index++] ?? null;
  }

  private async expand(): Promise<Endpoint[]> {
    const resolved = await Promise.all(
      this.hosts.map(async ({ host, port }) => {
        if (isIP(host) !== 0) return [{ host, address: host, port }];
        const addresses = await this.resolve(host).catch(() => [] as readonly string[]);
        return addresses.map((address) => ({ host, address, port }));
      }),
    );
    const seen = new Set<string>();
    return resolved.flat().filter((endpoint) => {
      const key = `${endpoint.address}|${endpoint.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * The connect string ("host1:port,host2:port/optional/chroot") and the order
 * in which its servers are tried.
 */
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

/** Cycles through the hosts in a random order fixed at construction, as the Java client does. */
export class HostRotation {
  private readonly order: HostAddress[];
  private index = -1;

  constructor(hosts: readonly HostAddress[]) {
    this.order = [...hosts];
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const a = this.order[i];
      const b = this.order[j];
      if (a !== undefined && b !== undefined) {
        this.order[i] = b;
        this.order[j] = a;
      }
    }
  }

  get size(): number {
    return this.order.length;
  }

  next(): HostAddress {
    this.index = (this.index + 1) % this.order.length;
    const host = this.order[this.index];
    if (host === undefined) throw new Error('empty host list');
    return host;
  }
}

/**
 * Who may ask the dashboard for what. Reads are open to whoever reaches the port (loopback
 * only unless the operator said otherwise); every POST needs the token printed at start,
 * from this same origin: another site open in the learner's browser can neither read the
 * token (it is in the page's URL hash, never sent) nor send a POST that passes these checks.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { TOKEN_HEADER } from '@zk-lab/dashboard';

/** 32 random hex characters. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

/** Does the request carry `Authorization: Bearer <token>`? Compared in constant time. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header !== 'string') return false;
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (match === null) return false;
  // Hashes of equal length: the comparison's time tells nothing, not even the length.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1] as string), digest(token));
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/** The host name of a Host header or an origin's authority, without the port, in lower case. */
function hostName(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/**
 * A server on loopback answers only requests made to a loopback name: a page of another
 * site whose name was made to resolve to 127.0.0.1 (DNS rebinding) cannot read through it.
 */
export function hostAllowed(req: IncomingMessage, listeningOnLoopback: boolean): boolean {
  const host = req.headers.host;
  if (!listeningOnLoopback || host === undefined) return true;
  return isLoopback(hostName(host));
}

/** Why a POST is refused as coming from another site, or null when it comes from this one. */
export function crossOrigin(req: IncomingMessage): string | null {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `a ${site} request`;
  const origin = req.headers.origin;
  if (origin === undefined) return null; // not from a browser page (curl, a test, a script)
  let authority: string;
  try {
    authority = new URL(origin).host;
  } catch {
    return `origin ${origin}`;
  }
  if (origin === 'null' || authority.toLowerCase() !== (req.headers.host ?? '').toLowerCase()) {
    return `origin ${origin}`;
  }
  return null;
}

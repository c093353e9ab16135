/**
 * Authentication (addAuth) and digest ACLs.
 *
 * The server keeps the ids a client proved on the connection, not on the session: a
 * connection to another server, or a new session, starts with none. So the client keeps
 * every credential a server accepted and sends it again first thing on every new
 * connection, before any request that waited for it.
 *
 * A server that refuses credentials answers AuthFailed and closes the connection (the
 * session lives on). The client drops refused credentials, so it never loops on them, and
 * reconnects.
 */
import { createHash } from 'node:crypto';
import type { Connection, OutgoingRequest } from './connection';
import { AuthFailedError, BadArgumentsError } from './errors';
import { JuteWriter } from './jute';
import { type ACL, type Id, OpCode, Perms, Xid } from './protocol';
import { writeAuthPacket } from './records';

/** A scheme and what proves an id in it, e.g. 'digest' and 'user:password'. */
export interface Credential {
  readonly scheme: string;
  readonly auth: Buffer;
}

/** Kept credentials were refused when sent again on a new connection, and were dropped. */
export interface AuthFailure {
  scheme: string;
  error: AuthFailedError;
}

/** The AuthPacket request (reserved xid -4). */
export function authRequest(credential: Credential): OutgoingRequest {
  const body = new JuteWriter();
  writeAuthPacket(body, credential.scheme, credential.auth);
  return { opCode: OpCode.auth, xid: Xid.auth, body: body.toBuffer(), context: { op: 'addAuth' } };
}

/** Checks addAuth's arguments and makes the credential. */
export function toCredential(scheme: string, auth: Buffer | string): Credential {
  if (typeof scheme !== 'string' || scheme === '') {
    throw new BadArgumentsError({ op: 'addAuth' }, 'the auth scheme must not be empty');
  }
  return { scheme, auth: typeof auth === 'string' ? Buffer.from(auth, 'utf8') : Buffer.from(auth) };
}

/**
 * The credentials of this client, in the order they were added: kept from the addAuth
 * call on (as the Java client and kazoo keep them), so that one whose reply was lost with
 * the connection is sent again on the next; dropped only when a server refuses it.
 */
export class CredentialStore {
  private readonly kept: Credential[] = [];

  get size(): number {
    return this.kept.length;
  }

  keep(credential: Credential): void {
    if (this.kept.some((c) => sameCredential(c, credential))) return;
    this.kept.push(credential);
  }

  /**
   * Sends every kept credential on a new connection. Replies to them come back before
   * the replies of any request sent after them. One refused now is dropped and reported;
   * one lost with the connection is sent again on the next.
   */
  resend(connection: Connection, onRefused: (failure: AuthFailure) => void): void {
    for (const credential of this.kept) {
      connection.submit(authRequest(credential)).then(
        (reply) => {
          if (reply.header.err === 0) return;
          this.drop(credential);
          onRefused({ scheme: credential.scheme, error: new AuthFailedError({ op: 'addAuth' }) });
        },
        () => {
          // The connection dropped: the next one sends the credential again.
        },
      );
    }
  }

  /** Forgets a credential a server refused. */
  drop(credential: Credential): void {
    const index = this.kept.findIndex((c) => sameCredential(c, credential));
    if (index >= 0) this.kept.splice(index, 1);
  }
}

function sameCredential(a: Credential, b: Credential): boolean {
  return a.scheme === b.scheme && a.auth.equals(b.auth);
}

/**
 * The digest id a server derives from `addAuth('digest', 'user:password')`:
 * `user:base64(sha1("user:password"))`.
 */
export function digestId(user: string, password: string): Id {
  if (user.includes(':')) {
    throw new BadArgumentsError({ op: 'digestId' }, 'a digest user name cannot contain ":"');
  }
  const hash = createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64');
  return { scheme: 'digest', id: `${user}:${hash}` };
}

/** An ACL entry granting `perms` (default Perms.ALL) to the digest id of `user`/`password`. */
export function digestAcl(user: string, password: string, perms: number = Perms.ALL): ACL {
  return { perms, id: digestId(user, password) };
}

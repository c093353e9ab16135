/**
 * Who may write the namespace (DESIGN section 7): digest identities from the environment,
 * validated with zod and never logged.
 *
 * - `ZK_APP_AUTH=user:password`: masters, workers and producers. Default: the lab's
 *   built-in identity (a warning says so; set your own for anything shared).
 * - `ZK_ADMIN_AUTH=user:password`: the config updater. Default: the lab's admin identity.
 * - `ZK_APP_DIGEST` / `ZK_ADMIN_DIGEST` (`user:base64-sha1`, as `digestId` computes it):
 *   how a process that does not hold the other identity's password names it in ACLs.
 *   Derived from the `*_AUTH` variable when that is set, else from the default.
 *
 * ACLs: the system nodes grant ALL to the app and the admin identities and READ to
 * everyone, the root the same but for DELETE, which only the admin has; `/config` and `/config-history` grant ALL to the admin and READ to
 * the rest. An unauthenticated client can read but change nothing under the root.
 */
import { type ACL, digestId, type Id, Perms } from '@zk-lab/zk-client';
import { z } from 'zod';

export const DEFAULT_APP_AUTH = 'zk-lab-app:zk-lab-app-secret';
export const DEFAULT_ADMIN_AUTH = 'zk-lab-admin:zk-lab-admin-secret';

const AuthSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]{1,64}:.{8,256}$/s,
    'expected user:password, user of letters, digits, _ . - (at most 64), password of 8 to 256 characters',
  )
  .transform((value) => {
    const colon = value.indexOf(':');
    return { user: value.slice(0, colon), password: value.slice(colon + 1) };
  });

const DigestSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9+/]{27}=$/, 'expected user:base64-sha1 (28 characters)');

export class Credentials {
  constructor(
    readonly user: string,
    private readonly password: string,
    /** True when no variable set them: the lab's well-known identity. */
    readonly isDefault: boolean,
  ) {}

  /** The `addAuth` argument; the only place the password leaves this object. */
  authInfo(): { scheme: 'digest'; credentials: string } {
    return { scheme: 'digest', credentials: `${this.user}:${this.password}` };
  }

  id(): Id {
    return digestId(this.user, this.password);
  }

  toJSON(): { user: string } {
    return { user: this.user };
  }
}

/** Thrown for a credentials variable that does not parse; names the variable, not the value. */
export class InvalidCredentialsError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable} is invalid: ${detail}`);
    this.name = 'InvalidCredentialsError';
  }
}

export type Role = 'app' | 'admin';
type Env = Record<string, string | undefined>;

const VARIABLE: Record<Role, { auth: string; digest: string; fallback: string }> = {
  app: { auth: 'ZK_APP_AUTH', digest: 'ZK_APP_DIGEST', fallback: DEFAULT_APP_AUTH },
  admin: { auth: 'ZK_ADMIN_AUTH', digest: 'ZK_ADMIN_DIGEST', fallback: DEFAULT_ADMIN_AUTH },
};

/** The one warning a service logs when it runs on the lab's well-known identity. */
export function defaultIdentityWarning(role: Role): string {
  return `${VARIABLE[role].auth} is not set: using the lab's built-in ${role} identity (set your own for anything shared)`;
}

/** This process's identity for `role`. */
export function loadCredentials(role: Role, env: Env = process.env): Credentials {
  const variable = VARIABLE[role].auth;
  const raw = env[variable];
  const parsed = AuthSchema.safeParse(raw ?? VARIABLE[role].fallback);
  if (!parsed.success) {
    throw new InvalidCredentialsError(variable, parsed.error.issues[0]?.message ?? 'invalid');
  }
  return new Credentials(parsed.data.user, parsed.data.password, raw === undefined);
}

/** The digest id of `role`, for ACLs, without needing its password when a digest is set. */
export function identityOf(role: Role, env: Env = process.env): Id {
  const digest = env[VARIABLE[role].digest];
  if (digest !== undefined && env[VARIABLE[role].auth] === undefined) {
    const parsed = DigestSchema.safeParse(digest);
    if (!parsed.success) {
      throw new InvalidCredentialsError(
        VARIABLE[role].digest,
        parsed.error.issues[0]?.message ?? 'invalid',
      );
    }
    return { scheme: 'digest', id: parsed.data };
  }
  return loadCredentials(role, env).id();
}

const WORLD: Id = { scheme: 'world', id: 'anyone' };

/** The ACLs of the namespace. */
export interface NamespaceAcls {
  /**
   * The root: the app identity may create children (the system nodes) but not delete
   * them, so it cannot remove `/config`; the admin ALL; everyone READ.
   */
  root: ACL[];
  /** The system nodes: app and admin ALL, everyone READ. */
  system: ACL[];
  /** `/config` and its history: admin ALL, everyone READ. */
  config: ACL[];
}

export function namespaceAcls(env: Env = process.env): NamespaceAcls {
  const app = identityOf('app', env);
  const admin = identityOf('admin', env);
  return {
    root: [
      { perms: Perms.READ | Perms.CREATE, id: app },
      { perms: Perms.ALL, id: admin },
      { perms: Perms.READ, id: WORLD },
    ],
    system: [
      { perms: Perms.ALL, id: app },
      { perms: Perms.ALL, id: admin },
      { perms: Perms.READ, id: WORLD },
    ],
    config: [
      { perms: Perms.ALL, id: admin },
      { perms: Perms.READ, id: WORLD },
    ],
  };
}

/**
 * Who may do what in the namespace (DESIGN section 9): one digest identity per role, from
 * the environment, validated with zod and never logged.
 *
 * - `ZK_MASTER_AUTH`, `ZK_WORKER_AUTH`, `ZK_PRODUCER_AUTH`, `ZK_ADMIN_AUTH`
 *   (`user:password`): the masters, the workers, the producers and the config updater.
 *   Each defaults to the lab's built-in identity of that role (a warning says so; set your
 *   own for anything shared).
 * - `ZK_MASTER_DIGEST`, `ZK_WORKER_DIGEST`, `ZK_PRODUCER_DIGEST`, `ZK_ADMIN_DIGEST`
 *   (`user:base64-sha1`, as `digestId` computes it): how a process that does not hold
 *   another role's password names it in ACLs. Derived from the `*_AUTH` variable when that
 *   is set, else from the default.
 * - `ZK_APP_AUTH` / `ZK_APP_DIGEST` (the one identity all apps shared before) are refused
 *   with an error that names the new variables: silently ignoring them would run a
 *   deployment on the public defaults.
 * - `ZK_WORLD_READ=1`: every node also grants READ to everyone (the lab sets it, so that
 *   anyone can look); off by default.
 *
 * Besides its role, each worker proves an identity of its own (`WorkerOwnIdentity`: a
 * random secret made at start, never stored), published in its registration; the leader
 * grants it DELETE on that worker's task folder alone, so no other worker (and no later
 * process of the same worker id) can remove its tasks.
 */
import { randomBytes } from 'node:crypto';
import { type ACL, digestId, type Id, Perms } from '@zk-lab/zk-client';
import { z } from 'zod';
import { PATHS } from './namespace';

export const DEFAULT_MASTER_AUTH = 'zk-lab-master:zk-lab-master-secret';
export const DEFAULT_WORKER_AUTH = 'zk-lab-worker:zk-lab-worker-secret';
export const DEFAULT_PRODUCER_AUTH = 'zk-lab-producer:zk-lab-producer-secret';
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

const DIGEST = /^[A-Za-z0-9_.-]{1,200}:[A-Za-z0-9+/]{27}=$/;
const DigestSchema = z.string().regex(DIGEST, 'expected user:base64-sha1 (28 characters)');

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

export type Role = 'master' | 'worker' | 'producer' | 'admin';
type Env = Record<string, string | undefined>;

const VARIABLE: Record<Role, { auth: string; digest: string; fallback: string }> = {
  master: { auth: 'ZK_MASTER_AUTH', digest: 'ZK_MASTER_DIGEST', fallback: DEFAULT_MASTER_AUTH },
  worker: { auth: 'ZK_WORKER_AUTH', digest: 'ZK_WORKER_DIGEST', fallback: DEFAULT_WORKER_AUTH },
  producer: {
    auth: 'ZK_PRODUCER_AUTH',
    digest: 'ZK_PRODUCER_DIGEST',
    fallback: DEFAULT_PRODUCER_AUTH,
  },
  admin: { auth: 'ZK_ADMIN_AUTH', digest: 'ZK_ADMIN_DIGEST', fallback: DEFAULT_ADMIN_AUTH },
};

/** The variable that holds `role`'s `user:password`, for messages. */
export function authVariable(role: Role): string {
  return VARIABLE[role].auth;
}

/** The one warning a service logs when it runs on the lab's well-known identity. */
export function defaultIdentityWarning(role: Role): string {
  return `${VARIABLE[role].auth} is not set: using the lab's built-in ${role} identity (set your own for anything shared)`;
}

/** Refuses the shared identity of older versions: it no longer grants anything. */
function refuseSharedIdentity(env: Env): void {
  for (const variable of ['ZK_APP_AUTH', 'ZK_APP_DIGEST']) {
    if (env[variable] !== undefined) {
      throw new InvalidCredentialsError(
        variable,
        'the shared app identity is gone: each role has its own, set ZK_MASTER_AUTH, ' +
          'ZK_WORKER_AUTH and ZK_PRODUCER_AUTH (and the *_DIGEST of the others) instead',
      );
    }
  }
}

/** This process's identity for `role`. */
export function loadCredentials(role: Role, env: Env = process.env): Credentials {
  refuseSharedIdentity(env);
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
  refuseSharedIdentity(env);
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

/**
 * A worker's identity of its own: user `worker.<id>` and a random secret made once per
 * process. Its digest id goes in the worker's registration (`identity`), where the leader
 * reads it to grant DELETE on the worker's task folder.
 */
export class WorkerOwnIdentity {
  private readonly credentials: Credentials;

  constructor(workerId: string) {
    this.credentials = new Credentials(
      `worker.${workerId}`,
      randomBytes(24).toString('base64url'),
      false,
    );
  }

  authInfo(): { scheme: 'digest'; credentials: string } {
    return this.credentials.authInfo();
  }

  id(): Id {
    return this.credentials.id();
  }
}

/** Whether `text` is a digest id (`user:base64-sha1`), as a registration carries it. */
export function isDigestId(text: string): boolean {
  return DIGEST.test(text);
}

const WORLD: Id = { scheme: 'world', id: 'anyone' };

/** Whether every node also grants READ to everyone (`ZK_WORLD_READ=1`). */
export function worldReadable(env: Env = process.env): boolean {
  const value = env.ZK_WORLD_READ;
  return value === '1' || value === 'true';
}

/** The ACLs of the namespace, by what a node is. Masters and the admin have ALL on each. */
export interface NamespaceAcls {
  /**
   * The root: every role may create children (so any app can lay out a fresh namespace),
   * none but the admin may delete them, so no app can remove `/config` or `/epoch`.
   */
  root: ACL[];
  /** Each system parent's own ACL: who may create (and delete) its children. */
  parents: Record<string, ACL[]>;
  /** `/epoch` and `/election/*`: masters only. */
  masters: ACL[];
  /**
   * A queue node (and a producer's marker): masters and the admin; workers may read it (a
   * worker that handed a job back, or finds its key taken, reads whose job the node is).
   */
  job: ACL[];
  /** A task node under `/assign/<w>`: workers may read it. */
  task: ACL[];
  /**
   * A result or dead record: producers may read it (`--wait`), and workers (after a lost
   * reply a worker reads whether the record is its own; a key collision is judged by it).
   */
  record: ACL[];
  /** `/config` and its history: admin ALL, every role READ. */
  config: ACL[];
}

export function namespaceAcls(env: Env = process.env): NamespaceAcls {
  const master = identityOf('master', env);
  const worker = identityOf('worker', env);
  const producer = identityOf('producer', env);
  const admin = identityOf('admin', env);
  const world: ACL[] = worldReadable(env) ? [{ perms: Perms.READ, id: WORLD }] : [];
  const owners: ACL[] = [
    { perms: Perms.ALL, id: master },
    { perms: Perms.ALL, id: admin },
  ];
  const grant = (...extra: ACL[]): ACL[] => [...owners, ...extra, ...world];
  return {
    root: [
      { perms: Perms.READ | Perms.CREATE, id: master },
      { perms: Perms.READ | Perms.CREATE, id: worker },
      { perms: Perms.READ | Perms.CREATE, id: producer },
      { perms: Perms.ALL, id: admin },
      ...world,
    ],
    parents: {
      [PATHS.election]: grant(),
      [PATHS.workers]: grant({ perms: Perms.READ | Perms.CREATE, id: worker }),
      // Workers hand a failed job back to the queue; producers read its depth.
      [PATHS.queue]: grant(
        { perms: Perms.CREATE, id: worker },
        { perms: Perms.READ | Perms.CREATE, id: producer },
      ),
      [PATHS.assign]: grant({ perms: Perms.READ, id: worker }),
      [PATHS.results]: grant(
        { perms: Perms.CREATE, id: worker },
        { perms: Perms.READ, id: producer },
      ),
      [PATHS.dead]: grant({ perms: Perms.CREATE, id: worker }, { perms: Perms.READ, id: producer }),
      [PATHS.produced]: grant({ perms: Perms.READ | Perms.CREATE | Perms.DELETE, id: producer }),
    },
    masters: grant(),
    job: grant({ perms: Perms.READ, id: worker }),
    task: grant({ perms: Perms.READ, id: worker }),
    record: grant({ perms: Perms.READ, id: worker }, { perms: Perms.READ, id: producer }),
    config: [
      { perms: Perms.ALL, id: admin },
      { perms: Perms.READ, id: master },
      { perms: Perms.READ, id: worker },
      { perms: Perms.READ, id: producer },
      ...world,
    ],
  };
}

/**
 * The ACL of `/assign/<workerId>`: the worker's own identity (its registration's
 * `identity`) may read it and delete its tasks; nobody else but masters and the admin. A
 * registration without one (a worker of an older version) gets the shared worker identity
 * instead, which every worker holds.
 */
export function taskFolderAcl(ownIdentity: string | null, env: Env = process.env): ACL[] {
  const acls = namespaceAcls(env);
  const own: Id =
    ownIdentity !== null && isDigestId(ownIdentity)
      ? { scheme: 'digest', id: ownIdentity }
      : identityOf('worker', env);
  return [
    ...acls.masters.filter((acl) => acl.id.scheme !== 'world'),
    { perms: Perms.READ | Perms.DELETE, id: own },
    ...(worldReadable(env) ? [{ perms: Perms.READ, id: WORLD }] : []),
  ];
}

/** A worker's registration: its own identity may rewrite it (capacity). */
export function registrationAcl(ownIdentity: Id, env: Env = process.env): ACL[] {
  const acls = namespaceAcls(env);
  return [
    ...acls.masters.filter((acl) => acl.id.scheme !== 'world'),
    { perms: Perms.ALL, id: ownIdentity },
    ...(worldReadable(env) ? [{ perms: Perms.READ, id: WORLD }] : []),
  ];
}

/** The parent a path's ACL comes from when the path is a system parent. */
export function parentAcl(acls: NamespaceAcls, path: string): ACL[] {
  const acl = acls.parents[path];
  if (acl === undefined) throw new Error(`${path} is not a system parent`);
  return acl;
}

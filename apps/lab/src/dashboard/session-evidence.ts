/**
 * Which sessions the dashboard shows, and what is known of each before its countdown: the
 * owners of the layout's ephemeral nodes, the lab's apps' sessions (the current one, and
 * earlier ones their client did not close: a killed app's session lives on until it
 * expires), with why a client cannot be talking and what its log said of a session's end;
 * or, with no layout, every session a server lists. Pure.
 */
import type { NamespaceReading } from './namespace-reading';
import type { SessionEnd, SessionEvidence } from './session-countdown';

/** One session of an app as the lab knows it, and why its client cannot be talking, if so. */
export interface AppSession {
  app: string;
  session: string;
  /** The app's current (or last known) session; else one it had before. */
  current: boolean;
  clientDown: string | null;
  /** What the app's log said of this session's end, or null. */
  logged: SessionEnd | null;
}

/** Sessions listed when the root holds no lab layout (then every connection is one). */
const MAX_BARE_SESSIONS = 200;

/**
 * The sessions to show: the owners of the layout's ephemerals and the apps' own sessions
 * (lab mode); without a layout, every session a server lists.
 */
export function evidenceOf(
  namespace: NamespaceReading | null,
  appSessions: readonly AppSession[],
  connections: ReadonlyMap<string, unknown> | null,
  /** The dashboard's own session: not one to show. */
  ownSession: string,
): SessionEvidence[] {
  const bySession = new Map<string, SessionEvidence>();
  const owners = new Map<string, string>();
  for (const m of namespace?.masters ?? []) owners.set(m.session, m.id);
  for (const w of namespace?.workers ?? []) if (w.session !== null) owners.set(w.session, w.id);
  for (const { path, owner } of namespace?.ephemerals ?? []) {
    const e = bySession.get(owner) ?? {
      id: owner,
      owner: owners.get(owner) ?? null,
      ephemerals: [],
      clientDown: null,
      logged: null,
    };
    e.ephemerals.push(path);
    bySession.set(owner, e);
  }
  for (const app of appSessions) {
    const e = bySession.get(app.session) ?? {
      id: app.session,
      owner: app.app,
      ephemerals: [],
      clientDown: null,
      logged: null,
    };
    e.owner = app.app;
    e.logged = app.logged;
    e.clientDown = app.clientDown;
    bySession.set(app.session, e);
  }
  // An ephemeral's owner the lab does not know as one of the app's sessions: the app's
  // current session is another, so the process that made it is gone.
  const current = new Map(appSessions.filter((a) => a.current).map((a) => [a.app, a]));
  for (const e of bySession.values()) {
    const app = e.owner === null ? undefined : current.get(e.owner);
    if (app !== undefined && app.session !== e.id && !appSessions.some((a) => a.session === e.id))
      e.clientDown = 'client dead';
  }
  if (namespace === null && connections !== null) {
    const others = [...connections.keys()].filter((id) => id !== ownSession);
    for (const id of others.slice(0, MAX_BARE_SESSIONS)) {
      if (!bySession.has(id))
        bySession.set(id, { id, owner: null, ephemerals: [], clientDown: null, logged: null });
    }
  }
  return [...bySession.values()];
}

/** Earlier sessions are kept this long at most (the countdown ends them well before). */
const PAST_KEPT_MS = 10 * 60_000;

/**
 * The lab feed's memory of its apps' sessions across readings: each app's current session
 * (a /status without one, as after a lost session, keeps the last), the earlier ones its
 * client did not close, and what each app's log said of a session's end.
 */
export class AppSessionBook {
  private readonly current = new Map<string, string>();
  private readonly past = new Map<string, { app: string; since: number }>();
  private readonly logged = new Map<string, SessionEnd>();

  /** A line of the app's log said its session ended (closed by it, or expired). */
  logEnd(app: string, how: SessionEnd): void {
    const session = this.current.get(app);
    if (session !== undefined) this.logged.set(session, how);
  }

  /** The session the app's /status names now (null: none), as of `now`; returns the one to show. */
  report(app: string, session: string | null, now: number): string | null {
    const before = this.current.get(app);
    if (session !== null && session !== before) {
      if (before !== undefined && this.logged.get(before) !== 'closed')
        this.past.set(before, { app, since: now });
      this.current.set(app, session);
    }
    for (const [id, { since }] of this.past) {
      if (now - since > PAST_KEPT_MS) {
        this.past.delete(id);
        this.logged.delete(id);
      }
    }
    return this.current.get(app) ?? null;
  }

  /** Every session to show for the apps, given why each app's client cannot be talking. */
  sessions(clientDown: ReadonlyMap<string, string | null>): AppSession[] {
    const out: AppSession[] = [];
    for (const [app, session] of this.current) {
      out.push({
        app,
        session,
        current: true,
        clientDown: clientDown.get(app) ?? null,
        logged: this.logged.get(session) ?? null,
      });
    }
    for (const [session, { app }] of this.past) {
      const logged = this.logged.get(session) ?? null;
      out.push({
        app,
        session,
        current: false,
        // Its client went on to a new session: it saw this one expire, or it was killed.
        clientDown: logged === 'expired' ? 'its client saw it expire' : 'client dead',
        logged,
      });
    }
    return out;
  }
}

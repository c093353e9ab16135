/**
 * Which sessions the dashboard shows, and what is known of each before its countdown: the
 * owners of the layout's ephemeral nodes, the lab's apps' own sessions (with why a client
 * cannot be talking), or, with no layout, every session a server lists. Pure.
 */
import type { NamespaceReading } from './namespace-reading';
import type { SessionEvidence } from './session-countdown';

/** One app's session as the lab knows it, and why its client cannot be talking, if so. */
export interface AppSession {
  app: string;
  /** Its current (or last known) session. */
  session: string | null;
  clientDown: string | null;
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
    };
    e.ephemerals.push(path);
    bySession.set(owner, e);
  }
  for (const app of appSessions) {
    if (app.session === null) continue;
    const e = bySession.get(app.session) ?? {
      id: app.session,
      owner: app.app,
      ephemerals: [],
      clientDown: null,
    };
    e.owner = app.app;
    bySession.set(app.session, e);
  }
  // A session whose app now runs on another session belongs to a process that is gone.
  const current = new Map(appSessions.map((a) => [a.app, a]));
  for (const e of bySession.values()) {
    const app = e.owner === null ? undefined : current.get(e.owner);
    if (app === undefined) continue;
    e.clientDown = app.session !== null && app.session !== e.id ? 'client dead' : app.clientDown;
  }
  if (namespace === null && connections !== null) {
    const others = [...connections.keys()].filter((id) => id !== ownSession);
    for (const id of others.slice(0, MAX_BARE_SESSIONS)) {
      if (!bySession.has(id))
        bySession.set(id, { id, owner: null, ephemerals: [], clientDown: null });
    }
  }
  return [...bySession.values()];
}

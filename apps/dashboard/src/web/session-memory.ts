/**
 * The sessions panel's rows. The feed says how a session ended ("closed" by its client, or
 * "expired" by the server) and keeps it listed a while, so a learner who watched the
 * countdown sees the session go, and how. A session that vanished from the snapshot without
 * the feed saying how (an older server, or one it stopped showing) is kept a little while
 * here too, marked gone, never called expired: nobody saw it expire.
 */
import type { SessionView } from '../protocol';

export const KEEP_GONE_MS = 15_000;

export interface SessionLine {
  session: SessionView;
  /** When it vanished from the snapshot without an end, or null while it is there. */
  goneAt: number | null;
}

/** A row's state, the `data-state` of its `session-row`. */
export type SessionRowState = 'connected' | 'away' | 'closed' | 'expired' | 'gone';

export function rowStateOf({ session, goneAt }: SessionLine): SessionRowState {
  if (session.ended !== null) return session.ended;
  if (goneAt !== null) return 'gone';
  return session.connected ? 'connected' : 'away';
}

export class SessionMemory {
  private gone = new Map<string, SessionLine>();
  private last = new Map<string, SessionView>();

  /** The current sessions, then those gone in the last KEEP_GONE_MS (newest first). */
  update(current: readonly SessionView[], now: number): SessionLine[] {
    const ids = new Set(current.map((s) => s.id));
    for (const [id, session] of this.last) {
      // One the feed said ended was shown as such for as long as the feed kept it.
      if (!ids.has(id) && !this.gone.has(id) && session.ended === null)
        this.gone.set(id, { session, goneAt: now });
    }
    for (const [id, line] of this.gone) {
      if (ids.has(id) || now - (line.goneAt ?? now) >= KEEP_GONE_MS) this.gone.delete(id);
    }
    this.last = new Map(current.map((s) => [s.id, s]));
    const recent = [...this.gone.values()].sort((a, b) => (b.goneAt ?? 0) - (a.goneAt ?? 0));
    return [...current.map((session) => ({ session, goneAt: null })), ...recent];
  }
}

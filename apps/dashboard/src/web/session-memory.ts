/**
 * Sessions that just vanished from the snapshot: the server expired them (or their client
 * closed them). The panel keeps such a row a little while, marked expired, so a learner who
 * watched the countdown sees the session go, not just a row disappear.
 */
import type { SessionView } from '../protocol';

export const KEEP_EXPIRED_MS = 15_000;

export interface SessionLine {
  session: SessionView;
  /** When it vanished from the snapshot, or null while it is there. */
  goneAt: number | null;
}

export class SessionMemory {
  private gone = new Map<string, SessionLine>();
  private last = new Map<string, SessionView>();

  /** The current sessions, then those gone in the last KEEP_EXPIRED_MS (newest first). */
  update(current: readonly SessionView[], now: number): SessionLine[] {
    const ids = new Set(current.map((s) => s.id));
    for (const [id, session] of this.last) {
      if (!ids.has(id) && !this.gone.has(id)) this.gone.set(id, { session, goneAt: now });
    }
    for (const [id, line] of this.gone) {
      if (ids.has(id) || now - (line.goneAt ?? now) >= KEEP_EXPIRED_MS) this.gone.delete(id);
    }
    this.last = new Map(current.map((s) => [s.id, s]));
    const recent = [...this.gone.values()].sort((a, b) => (b.goneAt ?? 0) - (a.goneAt ?? 0));
    return [...current.map((session) => ({ session, goneAt: null })), ...recent];
  }
}

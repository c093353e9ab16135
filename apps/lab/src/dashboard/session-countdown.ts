/**
 * Sessions as a learner should see them: the thing that expires, not the TCP connection.
 * A session is shown while it owns ephemeral nodes or belongs to an app. Each reading says
 * whether its client still talks to ZooKeeper and, when it does not, by when the server
 * should have expired the session; once it is gone, how it ended. Pure: it is given the
 * evidence of each reading and remembers only what each session last showed.
 *
 * The evidence, best first: the lab's own knowledge of the client (paused, cut off, dead,
 * and what its log said: it closed its session, or saw it expire); the server's `cons` (the
 * connection, its timeout, and the server's time of its last answer to the client: when that
 * has not moved for half the timeout, the client missed a ping and is silent, though the
 * server keeps its connection open until the session expires); no server listing it at all.
 * Without `cons` (refused), nothing is said beyond the ephemerals: it counts as connected.
 *
 * The deadline. The server's time of its last answer is on its own monotonic clock: only its
 * changes are used, each dated by this clock when a reading first sees it, so "last heard"
 * is at most one reading late. The leader checks expiry once a tick, rounding each session's
 * expiry up to the next tick, and a follower forwards its clients' pings to the leader only
 * on its own next ping: the real expiry can come up to about two ticks after last heard +
 * timeout. So the deadline is last heard + timeout + 2 ticks ("should expire by"), and it is
 * approximate when tickTime is unknown (`conf` refused). With no ZooKeeper leader no session
 * can expire at all, and a new leader gives every session a fresh timeout: the countdown
 * stops while there is none, and starts again from each new leader.
 *
 * How a session ended: "expired" when its client's log said so or it went after its earliest
 * possible expiry (a dead client's session with no ephemeral and no connection to watch:
 * once its deadline passed); "closed" when its client's log said it closed it, or it went
 * well before it could have expired (a clean stop closes the session: the ephemerals go at
 * once; its word is taken even while a listing a moment old still shows its ephemerals). An
 * ended session stays listed ENDED_KEPT_MS, marked so.
 */
import type { SessionView } from '@zk-lab/dashboard';
import type { ConnectionEntry } from './server-connections';

export type SessionEnd = 'closed' | 'expired';

export interface SessionEvidence {
  id: string;
  owner: string | null;
  ephemerals: string[];
  /** Lab mode: why the client cannot be talking ("client paused", "client cut off", "client dead"), or null. */
  clientDown: string | null;
  /** Lab mode: what its client's log said of its end (it closed it, or saw it expire), or null. */
  logged: SessionEnd | null;
}

export type ListedConnection = ConnectionEntry & { server: number };

/** What is known of ZooKeeper itself at a reading. */
export interface EnsembleClock {
  /** The leader (id and epoch, any text that changes with a new leadership), or null. */
  leader: string | null;
  /** The servers' tickTime, or null when unknown. */
  tickMs: number | null;
}

interface Memory {
  /** When a reading first saw the client's latest sign of life (this clock). */
  lastHeard: number | null;
  /** The server's own time of its last answer, as last listed. */
  lastResponse: number | null;
  timeoutMs: number | null;
  server: number | null;
  logged: SessionEnd | null;
  /** As last shown, for the row that stays once it ended. */
  shown: SessionView | null;
  ended: { how: SessionEnd; at: number } | null;
}

/** Clients ping after a third of the timeout idle; silent past half of it, one was missed. */
const SILENT_AFTER = 0.5;
/** How late "last heard" may be: a reading's interval and its own time. */
const HEARD_LATE_MS = 1_500;
/** An ended session stays listed this long (the page shows how it ended). */
export const ENDED_KEPT_MS = 15_000;
export const NO_LEADER = 'no leader: sessions cannot expire now';

export class SessionCountdown {
  private readonly memory = new Map<string, Memory>();
  private leader: string | null | undefined = undefined;

  /**
   * The sessions at `now`. `connections` is every listed connection by session, or null
   * when `cons` could not be read from every server that is up.
   */
  views(
    now: number,
    evidence: readonly SessionEvidence[],
    connections: ReadonlyMap<string, ListedConnection> | null,
    clock: EnsembleClock,
  ): SessionView[] {
    if (clock.leader !== this.leader) {
      // A new leader gives every session a fresh timeout; before the first, nothing to restart.
      if (clock.leader !== null && this.leader !== undefined) {
        for (const m of this.memory.values()) {
          if (m.lastHeard !== null && m.ended === null) m.lastHeard = Math.max(m.lastHeard, now);
        }
      }
      this.leader = clock.leader;
    }
    const seen = new Set<string>();
    const views: SessionView[] = [];
    for (const e of evidence) {
      seen.add(e.id);
      const view = this.view(now, e, connections, clock);
      if (view !== null) views.push(view);
    }
    for (const [id, memory] of this.memory) {
      if (seen.has(id)) continue;
      if (memory.ended === null && memory.shown !== null) {
        memory.ended = { how: memory.logged ?? this.endOfVanished(now, memory, clock), at: now };
      }
      const view = memory.ended === null ? null : endedView(now, memory);
      if (view === null) this.memory.delete(id);
      else views.push(view);
    }
    return views.sort(
      (a, b) => (a.owner ?? '~').localeCompare(b.owner ?? '~') || a.id.localeCompare(b.id),
    );
  }

  /** A session no longer in the evidence: expired if it could have, else its client closed it. */
  private endOfVanished(now: number, memory: Memory, clock: EnsembleClock): SessionEnd {
    if (clock.leader === null || memory.lastHeard === null || memory.timeoutMs === null) {
      return 'closed';
    }
    return now >= memory.lastHeard - HEARD_LATE_MS + memory.timeoutMs ? 'expired' : 'closed';
  }

  private view(
    now: number,
    evidence: SessionEvidence,
    connections: ReadonlyMap<string, ListedConnection> | null,
    clock: EnsembleClock,
  ): SessionView | null {
    const memory: Memory = this.memory.get(evidence.id) ?? {
      lastHeard: null,
      lastResponse: null,
      timeoutMs: null,
      server: null,
      logged: null,
      shown: null,
      ended: null,
    };
    this.memory.set(evidence.id, memory);
    memory.logged = evidence.logged;
    const listed = connections?.get(evidence.id);
    const unseen = evidence.ephemerals.length === 0 && listed === undefined;
    // Its client says it closed it: ZooKeeper deleted its ephemerals in the same step, so a
    // listing that still shows them is a moment old.
    const closed = evidence.logged === 'closed';
    if (memory.ended !== null) {
      if (unseen || closed) return endedView(now, memory);
      memory.ended = null; // back in ZooKeeper's own listings: it lives after all
    }
    if (listed !== undefined) {
      const moved =
        memory.lastHeard === null ||
        listed.server !== memory.server ||
        listed.lastResponse === null ||
        listed.lastResponse !== memory.lastResponse;
      if (moved) memory.lastHeard = now;
      memory.lastResponse = listed.lastResponse;
      memory.timeoutMs = listed.timeoutMs;
      memory.server = listed.server;
    }
    const deadline =
      memory.lastHeard === null || memory.timeoutMs === null
        ? null
        : memory.lastHeard + memory.timeoutMs + 2 * (clock.tickMs ?? 0);
    // Nothing of ZooKeeper shows it any more: its client's word, or a deadline long past.
    if (memory.shown === null && evidence.logged !== null && (unseen || closed)) {
      this.memory.delete(evidence.id); // ended before the dashboard first looked
      return null;
    }
    if ((unseen || closed) && memory.shown !== null) {
      const watched = unseen && connections !== null && clock.leader !== null;
      // Its ephemerals went, and its client did not say it closed it: the server ended it.
      const lostEphemerals = watched && memory.shown.ephemerals.length > 0;
      // Nothing ever showed it: once its deadline passed, it expired.
      const pastDeadline =
        watched && evidence.clientDown !== null && deadline !== null && now > deadline;
      const how =
        evidence.logged ??
        (lostEphemerals ? this.endOfVanished(now, memory, clock) : pastDeadline ? 'expired' : null);
      if (how !== null) {
        memory.ended = { how, at: now };
        return endedView(now, memory);
      }
    }
    const base: SessionView = {
      id: evidence.id,
      owner: evidence.owner,
      server: listed?.server ?? null,
      timeoutMs: memory.timeoutMs,
      ephemerals: [...evidence.ephemerals].sort(),
      connected: true,
      expiresBy: null,
      expiryApproximate: clock.tickMs === null,
      expiryHeld: null,
      because: null,
      ended: null,
      endedAt: null,
    };
    const down = (because: string): SessionView => ({
      ...base,
      connected: false,
      because,
      expiresBy: clock.leader === null ? null : deadline,
      expiryHeld: clock.leader === null ? NO_LEADER : null,
    });
    let view = base;
    if (evidence.clientDown !== null) view = down(evidence.clientDown);
    else if (connections === null) view = base;
    else if (listed === undefined) view = down('no server lists its connection');
    else if (now - (memory.lastHeard ?? now) > listed.timeoutMs * SILENT_AFTER) {
      view = down('client silent');
    }
    memory.shown = view;
    return view;
  }
}

/** The row of an ended session while it is kept, else null. */
function endedView(now: number, memory: Memory): SessionView | null {
  const { ended, shown } = memory;
  if (ended === null || shown === null || now - ended.at >= ENDED_KEPT_MS) return null;
  return {
    ...shown,
    server: null,
    connected: false,
    expiresBy: null,
    expiryHeld: null,
    because: null,
    ended: ended.how,
    endedAt: ended.at,
  };
}

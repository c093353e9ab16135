/**
 * Sessions as a learner should see them: the thing that expires, not the TCP connection.
 * A session is shown while it owns ephemeral nodes or belongs to an app. Each reading says
 * whether its client still talks to ZooKeeper and, when it does not, by when the server
 * expires the session at the latest: the last time the client was heard from plus its
 * timeout. Pure: it is given the evidence of each reading and remembers only when each
 * session was last heard from.
 *
 * The evidence, best first: the lab's own knowledge of the client (paused, cut off, dead);
 * the server's `cons` (the connection, its timeout, and the server's time of its last answer
 * to the client: when that has not moved for half the timeout, the client missed a ping and
 * is silent, though the server keeps its connection open until the session expires); no
 * server listing it at all. Without `cons` (refused), nothing is said beyond the ephemerals:
 * it counts as connected.
 *
 * The server's time of its last answer is on its own monotonic clock: only its changes are
 * used, each dated by this clock when a reading first sees it. So "last heard" is at most one
 * reading late, and `expiresBy` errs late, never early: "at the latest" holds.
 */
import type { SessionView } from '@zk-lab/dashboard';
import type { ConnectionEntry } from './server-connections';

export interface SessionEvidence {
  id: string;
  owner: string | null;
  ephemerals: string[];
  /** Lab mode: why the client cannot be talking ("client paused", "client cut off", "client dead"), or null. */
  clientDown: string | null;
}

export type ListedConnection = ConnectionEntry & { server: number };

interface Memory {
  /** When a reading first saw the client's latest sign of life (this clock). */
  lastHeard: number | null;
  /** The server's own time of its last answer, as last listed. */
  lastResponse: number | null;
  timeoutMs: number | null;
  server: number | null;
}

/** Clients ping after a third of the timeout idle; silent past half of it, one was missed. */
const SILENT_AFTER = 0.5;

export class SessionCountdown {
  private readonly memory = new Map<string, Memory>();

  /**
   * The sessions at `now`. `connections` is every listed connection by session, or null
   * when `cons` could not be read from every server that is up.
   */
  views(
    now: number,
    evidence: readonly SessionEvidence[],
    connections: ReadonlyMap<string, ListedConnection> | null,
  ): SessionView[] {
    const seen = new Set<string>();
    const views = evidence.map((e) => {
      seen.add(e.id);
      return this.view(now, e, connections);
    });
    for (const id of this.memory.keys()) if (!seen.has(id)) this.memory.delete(id);
    return views.sort(
      (a, b) => (a.owner ?? '~').localeCompare(b.owner ?? '~') || a.id.localeCompare(b.id),
    );
  }

  private view(
    now: number,
    evidence: SessionEvidence,
    connections: ReadonlyMap<string, ListedConnection> | null,
  ): SessionView {
    const memory: Memory = this.memory.get(evidence.id) ?? {
      lastHeard: null,
      lastResponse: null,
      timeoutMs: null,
      server: null,
    };
    this.memory.set(evidence.id, memory);
    const listed = connections?.get(evidence.id);
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
    const base = {
      id: evidence.id,
      owner: evidence.owner,
      server: listed?.server ?? null,
      timeoutMs: memory.timeoutMs,
      ephemerals: [...evidence.ephemerals].sort(),
    };
    const down = (because: string): SessionView => ({
      ...base,
      connected: false,
      because,
      expiresBy:
        memory.lastHeard === null || memory.timeoutMs === null
          ? null
          : memory.lastHeard + memory.timeoutMs,
    });
    if (evidence.clientDown !== null) return down(evidence.clientDown);
    if (connections === null) {
      return { ...base, connected: true, because: null, expiresBy: null };
    }
    if (listed === undefined) return down('no server lists its connection');
    if (now - (memory.lastHeard ?? now) > listed.timeoutMs * SILENT_AFTER) {
      return down('client silent');
    }
    return { ...base, connected: true, because: null, expiresBy: null };
  }
}

/**
 * The timeline lines that can be seen from outside, by comparing two snapshots: the
 * ZooKeeper leader changed or was lost, a server went down or came back (or left the
 * quorum), the masters elected a new leader (a new epoch), a worker registered or went, an
 * app's process stopped, paused or came back. Pure.
 */
import type { AppView, ServerView, Snapshot, TimelineEvent } from '@zk-lab/dashboard';

export interface TimelineChoice {
  /**
   * Master elections and workers joining and leaving, as the namespace shows them
   * (read-only mode; in lab mode the apps' own logs say it, with more detail).
   */
  apps: boolean;
  /** App processes stopping, pausing, coming back (lab mode). */
  processes: boolean;
}

const SERVING: ReadonlySet<ServerView['role']> = new Set([
  'leader',
  'follower',
  'observer',
  'standalone',
]);

export function timelineBetween(
  previous: Snapshot | null,
  current: Snapshot,
  choice: TimelineChoice,
): TimelineEvent[] {
  if (previous === null) return [];
  const time = current.time;
  const events: TimelineEvent[] = [];
  const line = (kind: TimelineEvent['kind'], source: string | null, text: string) =>
    events.push({ time, kind, source, text });

  const before = new Map(previous.servers.map((s) => [s.id, s]));
  for (const server of current.servers) {
    const then = before.get(server.id);
    if (then === undefined || then.role === server.role) continue;
    const wasServing = SERVING.has(then.role);
    const serving = SERVING.has(server.role);
    // leader ↔ follower moves are told by the leader line below
    if (wasServing && serving) continue;
    const kind = serving ? 'server' : 'warn';
    line(kind, `zk${server.id}`, `zk${server.id}: ${then.role} → ${describeServer(server)}`);
  }
  if (previous.zkLeader !== current.zkLeader) {
    if (current.zkLeader === null) {
      line('warn', null, `no ZooKeeper leader (was zk${previous.zkLeader}): no quorum`);
    } else {
      const epoch = current.servers.find((s) => s.id === current.zkLeader)?.zxid?.epoch;
      const was = previous.zkLeader === null ? 'none' : `zk${previous.zkLeader}`;
      line(
        'election',
        `zk${current.zkLeader}`,
        `zk${current.zkLeader} leads ZooKeeper (was ${was})${epoch === undefined ? '' : `, epoch ${epoch}`}`,
      );
    }
  }

  const then = previous.leaderMaster;
  const now = current.leaderMaster;
  const newLeader =
    now !== null && (then === null || then.name !== now.name || then.epoch !== now.epoch);
  if (choice.apps && newLeader) {
    const was = then === null ? 'none' : then.name;
    line(
      'election',
      now.name,
      `${now.name} leads the masters${now.epoch === null ? '' : ` (epoch ${now.epoch})`}` +
        (then?.name === now.name ? ', again' : `, was ${was}`),
    );
  } else if (choice.apps && now === null && then !== null) {
    line('warn', then.name, `no master leads (was ${then.name})`);
  }

  const apps = new Map(previous.apps.map((a) => [a.name, a]));
  for (const app of current.apps) {
    const was = apps.get(app.name);
    apps.delete(app.name);
    if (choice.apps && app.kind === 'worker' && (was?.registered ?? false) !== app.registered) {
      line(
        app.registered ? 'join' : 'loss',
        app.name,
        `${app.name} ${app.registered ? 'registered' : 'unregistered'}`,
      );
    }
    if (choice.processes && was !== undefined && was.process !== app.process) {
      line(
        app.process === 'up' ? 'join' : 'loss',
        app.name,
        `${app.name}: ${was.process} → ${describeProcess(app)}`,
      );
    }
  }
  if (choice.apps) {
    for (const gone of apps.values()) {
      if (gone.kind === 'worker' && gone.registered)
        line('loss', gone.name, `${gone.name} unregistered`);
    }
  }
  // How each session that ended did: closed by its client, or expired by the server.
  const endedBefore = new Set(previous.sessions.filter((v) => v.ended !== null).map((v) => v.id));
  for (const session of current.sessions) {
    if (session.ended === null || endedBefore.has(session.id)) continue;
    const whose = session.owner === null ? '' : ` (${session.owner})`;
    const owned = session.ephemerals.length;
    line(
      'session',
      session.owner,
      session.ended === 'closed'
        ? `session ${session.id}${whose} closed by its client` +
            (owned > 0 ? `: its ${owned} ephemeral node(s) went at once` : '')
        : `session ${session.id}${whose} expired` +
            (owned > 0 ? `: its ${owned} ephemeral node(s) went with it` : ''),
    );
  }
  return events;
}

function describeServer(server: ServerView): string {
  if (server.paused) return `${server.role} (paused)`;
  if (server.partitioned) return `${server.role} (cut off)`;
  return server.role;
}

function describeProcess(app: AppView): string {
  return app.partitioned ? `${app.process} (cut off)` : app.process;
}

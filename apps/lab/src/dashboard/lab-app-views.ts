/**
 * What the lab knows of its apps and links, as the dashboard shows it: each app from its
 * process and its /status (its session, leading or registered, its running jobs), whether
 * the fault proxy cuts it off, and why its session's client cannot be talking; each server
 * cut from its peers. Pure.
 */
import type { AppView } from '@zk-lab/dashboard';
import type { LinkInfo } from '@zk-lab/deploy';
import type { AppReport, MasterStatusBody } from '../app-status';
import type { ServerFlags } from './server-roles';

type Links = readonly Pick<LinkInfo, 'name' | 'mode'>[];

/** Every link of the app (`<app>-zk<n>`) is partitioned. */
export function appCutOff(links: Links, app: string): boolean {
  const own = links.filter((l) => new RegExp(`^${escape(app)}-zk\\d+$`).test(l.name));
  return own.length > 0 && own.every((l) => l.mode.kind === 'partition');
}

/**
 * A server is cut off when it is cut from more than half its peers (its quorum and election
 * links, either way): isolating zk1 of three cuts zk2 from zk1 too, but zk2 still has zk3.
 */
export function serverFlagsOf(
  links: Links,
  ids: readonly number[],
  paused: (id: number) => boolean,
): Map<number, ServerFlags> {
  const flags = new Map<number, ServerFlags>();
  for (const id of ids) {
    const peers = ids.filter((p) => p !== id);
    const cut = peers.filter((peer) =>
      links.some((l) => {
        const m = /^zk(\d+)-zk(\d+):/.exec(l.name);
        if (m === null || l.mode.kind !== 'partition') return false;
        const [from, to] = [Number(m[1]), Number(m[2])];
        return (from === id && to === peer) || (from === peer && to === id);
      }),
    );
    flags.set(id, {
      partitioned: peers.length > 0 && cut.length > peers.length / 2,
      paused: paused(id),
    });
  }
  return flags;
}

/**
 * The session an app's /status names, if it names one. `0x0` is none: the client has lost
 * its session (zk-client sets the id to 0 until the next one is made), and its old session
 * may still live on the server, so it is not forgotten for a 0.
 */
export function sessionOfStatus(report: AppReport): string | null {
  const status = report.status;
  if (status === null) return null;
  const session = status.session as { id?: unknown } | undefined;
  const id =
    typeof status.sessionId === 'string'
      ? status.sessionId
      : typeof session?.id === 'string'
        ? session.id
        : null;
  return id === null || /^0x0*$/i.test(id) ? null : id;
}

/** Why the app's client cannot be talking to ZooKeeper now, or null. */
export function clientDownOf(report: AppReport, cutOff: boolean): string | null {
  if (report.state === 'down') return 'client dead';
  if (report.state === 'paused') return 'client paused';
  if (cutOff) return 'client cut off';
  return null;
}

export function appViewOf(report: AppReport, cutOff: boolean, session: string | null): AppView {
  const status = report.status;
  const master =
    report.kind === 'master' && status !== null ? (status as unknown as MasterStatusBody) : null;
  const running =
    status !== null && Array.isArray(status.running) ? status.running.map(String) : [];
  return {
    name: report.name,
    kind: report.kind,
    process: report.state,
    partitioned: cutOff,
    session,
    leading: master?.state === 'leader',
    epoch: master?.epoch ?? null,
    registered: report.kind === 'worker' && status?.registered === true,
    running,
    role: cutOff && report.state === 'up' ? `${report.role}, cut off` : report.role,
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

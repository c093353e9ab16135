/**
 * What the ensemble's servers did for a stretch of the bench, per job: the client requests
 * they took (`zk_packets_received` of `mntr`, summed over the servers), the packets they
 * sent clients (replies and watch notifications: `zk_packets_sent`), and the CPU time of
 * their processes. Put beside the ceiling's figures, it says what the pipeline costs the
 * ensemble beyond the transactions of its design. Client pings are in both counts: a few
 * per second from all clients together, against thousands of requests.
 *
 * `cons` gives the same counts per session, so the requests can be put down to who sent
 * them (bySession; the caller names the sessions). A session that closed before the
 * second sample (the producer's) is not in it: its requests are the total's remainder.
 */
import { fourLetterWord, parseMntr, type Ensemble } from '@zk-lab/deploy';
import type { ZkClient } from '@zk-lab/zk-client';
import { PATHS } from '@zk-lab/lab-core';
import { processSeconds } from './cpu-use';

export interface ServerSample {
  received: number;
  sent: number;
  /** CPU seconds of the server processes; null when one could not be read. */
  cpuSeconds: number | null;
  /** Requests received from each session (hex id, as `cons` prints it), on every server. */
  sessions: Map<string, number>;
}

export interface ServerWork {
  requestsPerJob: number;
  packetsSentPerJob: number;
  /** Milliseconds of server CPU (all servers) per job. */
  cpuMsPerJob: number | null;
  /** Requests per job of each session in both samples (hex id). */
  bySession: Record<string, number>;
}

/** Requests received per session in `cons` (`sid=0x…` and `recved=N` on each line). */
export function parseConsRequests(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sid = /sid=(0x[0-9a-f]+)/.exec(line)?.[1];
    const received = /recved=(\d+)/.exec(line)?.[1];
    if (sid !== undefined && received !== undefined) {
      counts.set(sid, (counts.get(sid) ?? 0) + Number(received));
    }
  }
  return counts;
}

export async function sampleServers(ensemble: Ensemble): Promise<ServerSample> {
  const sample: ServerSample = { received: 0, sent: 0, cpuSeconds: 0, sessions: new Map() };
  for (const node of ensemble.nodes) {
    const cons = parseConsRequests(await fourLetterWord('127.0.0.1', node.clientPort, 'cons'));
    for (const [sid, n] of cons) sample.sessions.set(sid, (sample.sessions.get(sid) ?? 0) + n);
    const mntr = parseMntr(await fourLetterWord('127.0.0.1', node.clientPort, 'mntr'));
    sample.received += Number(mntr.get('zk_packets_received') ?? NaN);
    sample.sent += Number(mntr.get('zk_packets_sent') ?? NaN);
    const seconds = node.pid === null ? null : processSeconds(node.pid);
    sample.cpuSeconds =
      seconds === null || sample.cpuSeconds === null ? null : sample.cpuSeconds + seconds;
  }
  return sample;
}

export function serverWork(from: ServerSample, to: ServerSample, jobs: number): ServerWork {
  const per = (delta: number, scale = 1): number => Math.round((delta / jobs) * scale * 100) / 100;
  const bySession: Record<string, number> = {};
  for (const [sid, n] of to.sessions) {
    const before = from.sessions.get(sid);
    // A session that moved to another server restarts its count there: left out.
    if (before !== undefined && n >= before) bySession[sid] = per(n - before);
  }
  return {
    bySession,
    requestsPerJob: per(to.received - from.received),
    packetsSentPerJob: per(to.sent - from.sent),
    cpuMsPerJob:
      from.cpuSeconds === null || to.cpuSeconds === null
        ? null
        : per(to.cpuSeconds - from.cpuSeconds, 1000),
  };
}

/**
 * Who each live session of the system is, read with `client` in the system's namespace:
 * the masters from their election nodes (the lowest sequence leads), the workers from their
 * registrations, and `client` itself ("bench").
 */
export async function sessionRoles(client: ZkClient): Promise<Map<string, string>> {
  const roles = new Map<string, string>([[hex(client.sessionId), 'bench']]);
  const owner = async (path: string): Promise<string | null> => {
    const stat = await client.exists(path);
    return stat === null ? null : hex(stat.ephemeralOwner);
  };
  const election = (await client.getChildren(PATHS.election)).sort(
    (a, b) => sequenceOf(a) - sequenceOf(b),
  );
  for (const [i, name] of election.entries()) {
    const sid = await owner(`${PATHS.election}/${name}`);
    if (sid !== null) roles.set(sid, i === 0 ? 'leader' : 'standby master');
  }
  for (const id of await client.getChildren(PATHS.workers)) {
    const sid = await owner(`${PATHS.workers}/${id}`);
    if (sid !== null) roles.set(sid, 'workers');
  }
  return roles;
}

/**
 * Requests per job by sender: the named sessions summed by role, the sessions no role
 * names, and what no session in both samples accounts for (the producer's, which closed).
 */
export function requestsByRole(
  work: ServerWork,
  roles: Map<string, string>,
): Record<string, number> {
  const byRole: Record<string, number> = {};
  let accounted = 0;
  for (const [sid, perJob] of Object.entries(work.bySession)) {
    const role = roles.get(sid) ?? 'other sessions';
    byRole[role] = Math.round(((byRole[role] ?? 0) + perJob) * 100) / 100;
    accounted += perJob;
  }
  byRole['producer (closed)'] = Math.round((work.requestsPerJob - accounted) * 100) / 100;
  return byRole;
}

const hex = (session: bigint): string => `0x${session.toString(16)}`;
const sequenceOf = (name: string): number => Number(/(\d+)$/.exec(name)?.[1] ?? NaN);

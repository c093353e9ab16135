/**
 * The verdict on one reading, with stated thresholds, and its exit code (the Nagios
 * convention: 0 ok, 1 warning, 2 critical, 3 unknown).
 *
 * Critical: no server leads; fewer than a majority of the listed servers serve (quorum
 * lost); a server's average latency over the critical latency; outstanding requests over
 * the critical count.
 * Warning: a server down or not answering; a server out of quorum; average latency over
 * the warning latency; outstanding requests over the warning count; a four-letter word the
 * monitor needs that a server refuses.
 */
import type { EnsembleReading, ServerReading } from './ensemble-reading';
import { MONITOR_WORDS } from './ensemble-reading';

export interface Thresholds {
  /** A server's average latency (ms, the server's own since it started) that warns. */
  warnLatencyMs: number;
  critLatencyMs: number;
  /** Outstanding requests on one server that warn. */
  warnOutstanding: number;
  critOutstanding: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  warnLatencyMs: 100,
  critLatencyMs: 1000,
  warnOutstanding: 10,
  critOutstanding: 100,
};

export type Status = 'ok' | 'warning' | 'critical';

export interface Problem {
  level: 'warning' | 'critical';
  /** The server it is about (`host:port`), or null for the ensemble. */
  server: string | null;
  message: string;
}

export interface Verdict {
  status: Status;
  problems: Problem[];
  /** The config line that would allow every word the monitor needs, when one was refused. */
  allowLine: string | null;
}

export const EXIT_CODES = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

/** The config line that allows the monitor's words. */
export const ALLOW_LINE = `4lw.commands.whitelist=${MONITOR_WORDS.join(', ')}`;

export function assess(reading: EnsembleReading, thresholds: Thresholds): Verdict {
  const problems: Problem[] = [];
  const total = reading.servers.length;
  const notServing = reading.servers.filter((s) => s.state !== 'up' || s.serving === false);
  // A server that refuses both words has no known mode: no leader is then unknown, not lost.
  const modesKnown = reading.servers.some((s) => s.serving !== null || s.state !== 'up');
  if (reading.leader === null) {
    problems.push(
      modesKnown
        ? { level: 'critical', server: null, message: 'no leader: no server leads' }
        : { level: 'warning', server: null, message: 'leader unknown: no server tells its mode' },
    );
  }
  if (notServing.length > total / 2) {
    problems.push({
      level: 'critical',
      server: null,
      message: `quorum lost: ${notServing.length} of ${total} servers do not serve`,
    });
  }
  for (const server of reading.servers) problems.push(...serverProblems(server, thresholds));
  const refused = reading.servers.some((s) => s.refused.length > 0);
  const status: Status = problems.some((p) => p.level === 'critical')
    ? 'critical'
    : problems.length > 0
      ? 'warning'
      : 'ok';
  return { status, problems, allowLine: refused ? ALLOW_LINE : null };
}

function serverProblems(server: ServerReading, t: Thresholds): Problem[] {
  const problems: Problem[] = [];
  const add = (level: Problem['level'], message: string) =>
    problems.push({ level, server: server.server, message: `${server.server}: ${message}` });
  if (server.state === 'down') add('warning', `down (${server.error ?? 'no answer'})`);
  if (server.state === 'not-answering') add('warning', `not answering (${server.error ?? ''})`);
  if (server.serving === false) add('warning', 'out of quorum: not currently serving requests');
  for (const word of server.refused) {
    add('warning', `refuses ${word} (not in its whitelist); allow it with: ${ALLOW_LINE}`);
  }
  const avg = server.latency?.avg;
  if (avg !== undefined && avg > t.critLatencyMs)
    add('critical', `average latency ${avg} ms over ${t.critLatencyMs} ms`);
  else if (avg !== undefined && avg > t.warnLatencyMs)
    add('warning', `average latency ${avg} ms over ${t.warnLatencyMs} ms`);
  const out = server.outstanding;
  if (out !== null && out > t.critOutstanding)
    add('critical', `${out} outstanding requests, over ${t.critOutstanding}`);
  else if (out !== null && out > t.warnOutstanding)
    add('warning', `${out} outstanding requests, over ${t.warnOutstanding}`);
  return problems;
}

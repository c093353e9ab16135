/**
 * A ZooKeeper server as the dashboard shows it, from one reading of its four-letter words:
 * its role in a word (leader, follower, … or why it serves nobody), its numbers, and the
 * words it refused. Pure: the lab's own knowledge (paused, cut off) comes in as flags.
 */
import type { ServerView } from '@zk-lab/dashboard';
import type { ServerReading } from '../monitor/ensemble-reading';

export type ServerRole = ServerView['role'];

/** What only the lab knows about a server: the proxy cut it off, or the lab SIGSTOPped it. */
export interface ServerFlags {
  partitioned: boolean;
  paused: boolean;
}

const NO_FLAGS: ServerFlags = { partitioned: false, paused: false };

/**
 * The role of a server from its reading: down (nothing listens), not-answering (accepted
 * but silent, e.g. paused), out-of-quorum (answers, serves no client: no quorum, or
 * read-only), else the mode it reports. A server that refused both words we ask is up but
 * tells nothing: it is shown as not answering, with the refusal as its error.
 */
export function roleOf(reading: ServerReading): ServerRole {
  if (reading.state === 'down') return 'down';
  if (reading.state === 'not-answering') return 'not-answering';
  if (reading.serving === false || reading.mode === 'read-only') return 'out-of-quorum';
  switch (reading.mode) {
    case 'leader':
    case 'follower':
    case 'observer':
    case 'standalone':
      return reading.mode;
    default:
      return 'not-answering';
  }
}

/** The id of each server of a connect string: its place in it, from 1 (ZooKeeper's own ids are not visible from outside). */
export function idsByPlace(readings: readonly ServerReading[]): Map<string, number> {
  return new Map(readings.map((r, index) => [r.server, index + 1]));
}

export function serverViewOf(
  reading: ServerReading,
  id: number,
  flags: ServerFlags = NO_FLAGS,
): ServerView {
  const role = roleOf(reading);
  const refusedAll = reading.state === 'up' && reading.mode === null && reading.serving === null;
  return {
    id,
    address: reading.server,
    role,
    partitioned: flags.partitioned,
    paused: flags.paused,
    zxid:
      reading.zxid === null ? null : { epoch: reading.zxid.epoch, counter: reading.zxid.counter },
    latency: reading.latency,
    connections: reading.connections,
    outstanding: reading.outstanding,
    znodes: reading.znodes,
    watches: reading.watches,
    ephemerals: reading.ephemerals,
    refusedWords: [...reading.refused],
    error: refusedAll
      ? `refused ${reading.refused.join(' and ')}: not in its 4lw.commands.whitelist`
      : reading.error,
  };
}

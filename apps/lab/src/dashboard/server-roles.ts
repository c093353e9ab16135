/**
 * A ZooKeeper server as the dashboard shows it, from one reading of its four-letter words:
 * its role in a word (leader, follower, … or why it serves nobody), its numbers, and the
 * words it refused. Pure: the lab's own knowledge (paused, cut off) comes in as flags.
 */
import type { ServerView } from '@zk-lab/dashboard';
import { fourLetterWord, refusedWord } from '@zk-lab/deploy';
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
 * read-only), else the mode it reports. A server that refused both words we ask answers, so
 * it is not "not answering": its role is unknown because its whitelist lacks the words, and
 * it is shown as such (words-refused), with the words and the whitelist line as its error.
 */
export function roleOf(reading: ServerReading): ServerRole {
  if (reading.state === 'down') return 'down';
  if (reading.state === 'not-answering') return 'not-answering';
  if (reading.serving === false || reading.mode === 'read-only') return 'out-of-quorum';
  if (refusedAll(reading)) return 'words-refused';
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
    error: refusedAll(reading)
      ? `answers, but refuses ${reading.refused.join(' and ')} (not in its 4lw.commands.whitelist), ` +
        `so its role cannot be read: allow them with 4lw.commands.whitelist=${reading.refused.join(',')}`
      : reading.error,
  };
}

/** It answered, but refused every word that tells its role. */
function refusedAll(reading: ServerReading): boolean {
  return (
    reading.state === 'up' &&
    reading.mode === null &&
    reading.serving === null &&
    reading.refused.length > 0
  );
}

/** What `conf` told of a server: its tickTime, or that it refused the word (or did not say). */
export type ConfAnswer = { tickMs: number } | { refused: true } | { unread: true };

/** Asks one server for `conf` (read-only, like every word here) and takes its tickTime. */
export async function readTickTime(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ConfAnswer> {
  try {
    const text = await fourLetterWord(host, port, 'conf', timeoutMs);
    if (refusedWord(text) !== null) return { refused: true };
    const tick = /^tickTime=(\d+)\s*$/m.exec(text);
    return tick === null ? { unread: true } : { tickMs: Number(tick[1]) };
  } catch {
    return { unread: true };
  }
}

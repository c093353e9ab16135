/**
 * The lab's apps tell the timeline what they do: each line of their logs that the lab's own
 * digest finds notable (event-digest.ts: elections, joins and losses, config versions,
 * sessions, every warning and error) becomes a timeline line of the kind it is about. Two
 * things the digest leaves out are read here as well: a master's "task requeued" (counted,
 * and told once per reading as one line per master), and what the client saw of ZooKeeper
 * (SUSPENDED: ConnectionLoss; LOST: SessionExpired), which an action's run reports, and how
 * its session ended (a clean stop closes it; LOST means it expired). Pure.
 */
import type { TimelineEvent } from '@zk-lab/dashboard';
import type { AppKind } from '../app-state';
import { digestLogLine } from '../event-digest';
import type { SessionEnd } from './session-countdown';

export type ClientSignal = 'ConnectionLoss' | 'SessionExpired';

export interface LogLineMeaning {
  event: TimelineEvent | null;
  requeued: boolean;
  signal: ClientSignal | null;
  /** The app says its session ended: it closes it (a clean stop), or it expired. */
  sessionEnd: SessionEnd | null;
  time: number;
}

const KINDS: [RegExp, TimelineEvent['kind']][] = [
  [/^(elected leader|following: |epoch \d+ claimed)/, 'election'],
  [/^(worker \S+ joined|registered\b)/, 'join'],
  [/^(worker \S+ left|terminating|stopping)/, 'loss'],
  [/(handed back|requeued)/, 'requeue'],
  [/^ZooKeeper session /, 'session'],
  [/config/i, 'config'],
];

interface PinoFields {
  msg?: unknown;
  time?: unknown;
}

export function meaningOfLogLine(
  kind: AppKind,
  name: string,
  line: string,
  now = Date.now(),
): LogLineMeaning {
  const pino = parseJson(line);
  const msg = typeof pino?.msg === 'string' ? pino.msg : line;
  const time = typeof pino?.time === 'number' ? pino.time : now;
  const digest = digestLogLine(kind, name, line, now);
  let event: TimelineEvent | null = null;
  if (digest !== null) {
    const matched = KINDS.find(([re]) => re.test(digest.text))?.[1];
    event = {
      time: digest.time,
      kind: matched ?? digest.level,
      source: name,
      text: digest.level === 'info' ? digest.text : `${digest.level}: ${digest.text}`,
    };
  }
  return {
    event,
    requeued: kind === 'master' && msg === 'task requeued',
    signal: signalOf(msg),
    sessionEnd: sessionEndOf(msg),
    time,
  };
}

/** A clean stop closes the session (its ephemerals go at once); a lost one expired. */
function sessionEndOf(msg: string): SessionEnd | null {
  if (signalOf(msg) === 'SessionExpired') return 'expired';
  if (/^ZooKeeper session CLOSED$|^(stopping|terminating)\b/.test(msg)) return 'closed';
  return null;
}

/** What a client saw, from its own words (its session states, or an error it logged). */
function signalOf(msg: string): ClientSignal | null {
  if (/ZooKeeper session LOST|SessionExpired/.test(msg)) return 'SessionExpired';
  if (/ZooKeeper session SUSPENDED|ConnectionLoss/.test(msg)) return 'ConnectionLoss';
  return null;
}

/** The worst a client saw: an expired session is worse than a lost connection. */
export function worstSignal(signals: readonly ClientSignal[]): ClientSignal | 'nothing' {
  if (signals.includes('SessionExpired')) return 'SessionExpired';
  if (signals.includes('ConnectionLoss')) return 'ConnectionLoss';
  return 'nothing';
}

function parseJson(line: string): PinoFields | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : null;
  } catch {
    return null;
  }
}

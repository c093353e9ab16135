/**
 * The digest `lab up` prints: one short line per notable event, picked out of the apps'
 * pino JSON logs (level, time, msg, …): every warning and error, elections and leader
 * changes, workers joining and leaving, config versions applied, sessions re-established,
 * and the lines the producer prints that are not progress.
 */
import type { AppKind } from './app-state';

export type DigestLevel = 'info' | 'warn' | 'error';

export interface DigestEvent {
  /** ms since the epoch, from the log line when it has one. */
  time: number;
  level: DigestLevel;
  text: string;
  /**
   * What makes two events "the same" for the repeat filter: the message from this app, or
   * from any app of its kind for job-level lines (a stream of failing jobs) and the
   * start-up warning every app gives about the default credentials.
   */
  key: string;
}

interface PinoLine {
  level: number;
  time?: number;
  msg: string;
  [field: string]: unknown;
}

/** Info messages worth a line, by app kind; the rest (jobs started, HTTP routes…) is noise. */
const NOTABLE: Record<AppKind, RegExp[]> = {
  master: [
    /^elected leader/,
    /^following: /,
    /^epoch \d+ claimed/,
    /^worker \S+ (joined|left)/,
    /^stopping/,
  ],
  worker: [/^registered$/, /^terminating/],
  producer: [],
};
const ANY_APP = [/^config version \d+ applied/, /^ZooKeeper session (CONNECTED|RECONNECTED)$/];

/** The digest of one log line of app `name` (of `kind`), or null when it is not notable. */
export function digestLogLine(
  kind: AppKind,
  name: string,
  line: string,
  now = Date.now(),
): DigestEvent | null {
  const pino = parsePino(line);
  if (pino === null) return digestText(kind, name, line, now);
  const time = typeof pino.time === 'number' ? pino.time : now;
  const shared = typeof pino.jobKey === 'string' || /ZK_[A-Z]+_AUTH is not set/.test(pino.msg);
  const key = `${shared ? kind : name}:${pino.msg}`;
  if (pino.level >= 40) {
    const level: DigestLevel = pino.level >= 50 ? 'error' : 'warn';
    return { time, level, text: pino.msg + details(kind, pino), key };
  }
  if (pino.level < 30) return null;
  if (![...NOTABLE[kind], ...ANY_APP].some((re) => re.test(pino.msg))) return null;
  return { time, level: 'info', text: pino.msg + infoDetails(pino), key };
}

/** A line that is not pino's: the producer's own output, or a crash's stack trace. */
function digestText(kind: AppKind, name: string, line: string, now: number): DigestEvent | null {
  const text = line.trimEnd();
  if (kind === 'producer' && /^progress: /.test(text)) return null;
  const level: DigestLevel = /^(error|Error|\s+at )/.test(text)
    ? 'error'
    : kind === 'producer' && !/^warning/.test(text)
      ? 'info'
      : 'warn';
  return { time: now, level, text, key: `${name}:${text}` };
}

function parsePino(line: string): PinoLine | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (typeof value.level !== 'number' || typeof value.msg !== 'string') return null;
    return value as PinoLine;
  } catch {
    return null;
  }
}

const FIELDS = ['workerId', 'jobKey', 'reason', 'detail', 'error'] as const;

/** The fields that say what a warning or an error is about, briefly. */
function details(kind: AppKind, line: PinoLine): string {
  const parts: string[] = [];
  // A worker's lines all carry its own id, which the digest shows in its name column.
  const fields = kind === 'worker' ? FIELDS.slice(1) : FIELDS;
  for (const field of fields) {
    const value = line[field];
    if (typeof value === 'string' && !line.msg.includes(value)) parts.push(value);
  }
  const err = line.err;
  if (typeof err === 'object' && err !== null && 'message' in err) {
    const message = err.message;
    if (typeof message === 'string') parts.push(message);
  }
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function infoDetails(line: PinoLine): string {
  if (typeof line.capacity === 'number' && line.msg === 'registered') {
    return ` (capacity ${line.capacity})`;
  }
  if (typeof line.diff === 'object' && line.diff !== null) {
    const changes = Object.entries(line.diff as Record<string, { from: unknown; to: unknown }>)
      .map(
        ([key, change]) => `${key} ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`,
      )
      .join(', ');
    return changes === '' ? '' : ` (${changes})`;
  }
  return '';
}

/** `12:00:01 m1        elected leader (master m1)` */
export function formatEvent(
  time: number,
  name: string,
  width: number,
  event: DigestEventText,
): string {
  const prefix = event.level === 'info' ? '' : `${event.level}: `;
  return `${clock(time)} ${name.padEnd(width)}  ${prefix}${event.text}`;
}

export type DigestEventText = Pick<DigestEvent, 'level' | 'text'>;

/** HH:MM:SS, local time. */
export function clock(time: number): string {
  const d = new Date(time);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

/**
 * Holds back a warning or an error that repeats one printed less than `windowMs` ago (same
 * key), and counts what it held back.
 */
export class RepeatFilter {
  private readonly shown = new Map<string, number>();
  private held = 0;

  constructor(private readonly windowMs = 10_000) {}

  /** Should this event be printed? */
  admit(event: DigestEvent): boolean {
    const last = this.shown.get(event.key);
    if (event.level !== 'info' && last !== undefined && event.time - last < this.windowMs) {
      this.held++;
      return false;
    }
    this.shown.set(event.key, event.time);
    return true;
  }

  /** How many were held back since the last call. */
  takeHeld(): number {
    const held = this.held;
    this.held = 0;
    return held;
  }
}

/** Small formatters shared by the panels. */

/** Time left until `deadline`: "12.3 s" under a minute, "m:ss" above, "expired" once past. */
export function formatCountdown(deadline: number, now: number): string {
  const ms = deadline - now;
  if (ms <= 0) return 'expired';
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatClock(time: number): string {
  const d = new Date(time);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(
    d.getSeconds(),
  ).padStart(2, '0')}`;
}

export function formatCount(n: number | null): string {
  return n === null ? '–' : n.toLocaleString('en-US');
}

/** A session id without its leading zeros (`0x0000…01ab` → `0x1ab`); a zero stays `0x0`. */
export function formatSessionId(id: string): string {
  return id.replace(/^0x0*(?=[0-9a-f])/i, '0x');
}

/**
 * A time of the dashboard server's clock (`Snapshot.time` and its deadlines) on this page's
 * clock: the snapshot was taken at `serverTime` and reached the page at `receivedAt`, so
 * the page's clock is ahead by the difference (plus the way over, which only makes a
 * deadline later: it errs late, never early).
 */
export function onPageClock(time: number, serverTime: number, receivedAt: number): number {
  return time + (receivedAt - serverTime);
}

/**
 * What the countdown says of a session whose client is away: "should expire by 12:00:05
 * (in 3.2 s)", `about` when tickTime is unknown, then "should have expired by 12:00:05"
 * once the deadline passed and ZooKeeper has not said it did yet.
 */
export function expiryText(deadline: number, now: number, approximate: boolean): string {
  const about = approximate ? 'about ' : '';
  if (deadline <= now) return `should have expired by ${about}${formatClock(deadline)}`;
  return `should expire by ${about}${formatClock(deadline)} (in ${formatCountdown(deadline, now)})`;
}

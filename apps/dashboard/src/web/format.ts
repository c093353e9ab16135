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

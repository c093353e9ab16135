import type { Snapshot } from '../../protocol';
import { formatClock } from '../format';

/** A panel whose content is the namespace's last good reading: greyed out. */
export const STALE_STYLE = { opacity: 0.45, filter: 'grayscale(1)' } as const;

/** Says, in a panel that shows it, that the namespace could not be read since when, and why. */
export function StaleNote({
  stale,
  onPage,
}: {
  stale: NonNullable<Snapshot['stale']>;
  onPage: (time: number) => number;
}) {
  return (
    <p className="small warn-text" data-testid="stale-note">
      Stale: ZooKeeper has not answered the dashboard since {formatClock(onPage(stale.since))} (
      {stale.why}). What is greyed out is as it was then.
    </p>
  );
}

import type { ReactNode } from 'react';
import type { Theme } from '../app';
import { formatClock, onPageClock } from '../format';
import { useSignal } from '../signal';
import { hello, snapshot, stream } from '../store';

const NEXT_THEME: Record<Theme, Theme> = { auto: 'dark', dark: 'light', light: 'auto' };

export function Header({
  theme,
  onTheme,
  children,
}: {
  theme: Theme;
  onTheme: (theme: Theme) => void;
  /** The banners: under the sticky bar, so they show wherever the page is scrolled. */
  children: ReactNode;
}) {
  const info = useSignal(hello);
  const snap = useSignal(snapshot);
  const state = useSignal(stream);
  const leader = snap?.leaderMaster ?? null;
  const stale = snap?.stale ?? null;
  return (
    <header className="topbar container-fluid">
      <nav>
        <ul>
          <li>
            <strong className="brand">zk-lab</strong>
          </li>
          <li>
            <span
              className={`badge mode-${info?.mode ?? 'unknown'}`}
              data-testid="mode"
              title="Dashboard mode"
            >
              {info?.mode ?? '…'}
            </span>
          </li>
          <li className="muted small" title="Connect string and root">
            <code>{info?.connectString ?? '…'}</code> <code>{info?.root ?? ''}</code>
          </li>
        </ul>
        <ul>
          <li className="small">
            stream{' '}
            <span className={`badge stream-${state}`} data-testid="stream-state">
              {state}
            </span>
          </li>
          {stale !== null && snap !== null && (
            <li className="small">
              <span
                className="badge fault"
                data-testid="stale"
                title={`the namespace cannot be read: ${stale.why}; sessions, counts and jobs are as they were then`}
              >
                stale since {formatClock(onPageClock(stale.since, snap.time, Date.now()))}
              </span>
            </li>
          )}
          <li className="small">
            leading master <strong data-testid="leader-master">{leader?.name ?? 'none'}</strong>
            {leader?.epoch !== null && leader?.epoch !== undefined && (
              <span className="muted"> · epoch {leader.epoch}</span>
            )}
          </li>
          <li className="small">
            ZooKeeper leader <strong data-testid="zk-leader">{snap?.zkLeader ?? 'none'}</strong>
          </li>
          <li>
            <button
              type="button"
              className="secondary outline theme-toggle"
              onClick={() => onTheme(NEXT_THEME[theme])}
              title="Colour theme: auto follows the system"
            >
              {theme === 'auto' ? '◐ auto' : theme === 'dark' ? '● dark' : '○ light'}
            </button>
          </li>
        </ul>
      </nav>
      {children}
    </header>
  );
}

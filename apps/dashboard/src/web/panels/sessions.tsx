import { useEffect, useMemo, useRef, useState } from 'react';
import type { SessionView } from '../../protocol';
import { formatClock, formatCountdown, formatDuration } from '../format';
import { baseName } from '../paths';
import { SessionMemory } from '../session-memory';
import { useSignal } from '../signal';
import { goTo, snapshot } from '../store';
import { Panel } from './panel';

/** A live countdown to the server's latest expiry of a session that lost its client. */
function Countdown({ deadline, timeoutMs }: { deadline: number; timeoutMs: number | null }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, []);
  const left = deadline - now;
  const share =
    timeoutMs !== null && timeoutMs > 0 ? Math.max(0, Math.min(1, left / timeoutMs)) : null;
  return (
    <span className={`countdown${left <= 0 ? ' expired' : ''}`} data-testid="session-countdown">
      {left <= 0 ? 'expired: its ephemerals go' : `expires in ${formatCountdown(deadline, now)}`}
      {share !== null && <progress value={share} max={1} />}
    </span>
  );
}

function SessionRow({ session, goneAt }: { session: SessionView; goneAt: number | null }) {
  const state = goneAt !== null ? 'expired' : session.connected ? 'connected' : 'away';
  return (
    <tr
      data-testid="session-row"
      data-session={session.id}
      data-state={state}
      className={state === 'connected' ? '' : state === 'away' ? 'at-risk' : 'expired'}
    >
      <td>
        <code title={session.id}>{session.id.replace(/^0x0*/, '0x')}</code>
      </td>
      <td>{session.owner ?? <span className="muted">?</span>}</td>
      <td>{session.server === null ? '–' : `zk${session.server}`}</td>
      <td>{formatDuration(session.timeoutMs)}</td>
      <td className="ephemerals">
        {session.ephemerals.length === 0 && <span className="muted">none</span>}
        {session.ephemerals.map((path) => (
          <a
            key={path}
            href="#"
            title={`select ${path} in the tree`}
            onClick={(event) => {
              event.preventDefault();
              void goTo(path);
            }}
          >
            {baseName(path).replace(/^_c_[0-9a-f-]{36}-/, '')}
          </a>
        ))}
      </td>
      <td>
        {goneAt !== null ? (
          <span className="badge gone-badge">
            expired at {formatClock(goneAt)}: its ephemerals went with it
          </span>
        ) : session.connected ? (
          <span className="badge ok">connected</span>
        ) : (
          <>
            <span className="badge fault">{session.because ?? 'not connected'}</span>{' '}
            {session.expiresBy !== null ? (
              <Countdown deadline={session.expiresBy} timeoutMs={session.timeoutMs} />
            ) : (
              <span data-testid="session-countdown" className="muted small">
                expiry unknown
              </span>
            )}
          </>
        )}
      </td>
    </tr>
  );
}

export function SessionsPanel() {
  const snap = useSignal(snapshot);
  const memory = useRef(new SessionMemory());
  const lines = useMemo(() => memory.current.update(snap?.sessions ?? [], Date.now()), [snap]);
  return (
    <Panel
      name="sessions"
      title="Sessions"
      aside={
        <span className="muted small" title="A session, not a TCP connection, owns ephemeral nodes">
          the session, not the connection, owns the ephemerals
        </span>
      }
    >
      <div className="scroll-x">
        <table className="compact">
          <thead>
            <tr>
              <th>session</th>
              <th>owner</th>
              <th>server</th>
              <th>timeout</th>
              <th>ephemeral nodes</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {lines.map(({ session, goneAt }) => (
              <SessionRow key={session.id} session={session} goneAt={goneAt} />
            ))}
          </tbody>
        </table>
        {lines.length === 0 && <p className="muted">No sessions.</p>}
      </div>
    </Panel>
  );
}

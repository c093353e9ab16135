import { useEffect, useMemo, useRef, useState } from 'react';
import { expiryText, formatClock, formatDuration, formatSessionId, onPageClock } from '../format';
import { baseName } from '../paths';
import { rowStateOf, SessionMemory, type SessionLine } from '../session-memory';
import { useSignal } from '../signal';
import { goTo, snapshot } from '../store';
import { Panel } from './panel';
import { STALE_STYLE, StaleNote } from './stale';

/** A live countdown to the deadline by which the server should have expired the session. */
function Countdown({
  deadline,
  timeoutMs,
  approximate,
}: {
  /** On this page's clock. */
  deadline: number;
  timeoutMs: number | null;
  approximate: boolean;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, []);
  const left = deadline - now;
  const share =
    timeoutMs !== null && timeoutMs > 0 ? Math.max(0, Math.min(1, left / timeoutMs)) : null;
  return (
    <span
      className={`countdown${left <= 0 ? ' expired' : ''}`}
      data-testid="session-countdown"
      title={
        approximate
          ? 'last heard + its timeout; the servers refused conf, so the up to two ticks the leader may take more are not counted'
          : 'last heard + its timeout + two ticks: the leader checks expiry once a tick'
      }
    >
      {expiryText(deadline, now, approximate)}
      {share !== null && <progress value={share} max={1} />}
    </span>
  );
}

function EndBadge({ line, onPage }: { line: SessionLine; onPage: (time: number) => number }) {
  const { session, goneAt } = line;
  if (session.ended === 'closed') {
    return (
      <span className="badge ok" title="A clean stop closes the session: no wait for a timeout">
        closed at {formatClock(onPage(session.endedAt ?? 0))} by its client: its ephemerals went at
        once
      </span>
    );
  }
  if (session.ended === 'expired') {
    return (
      <span className="badge gone-badge">
        expired at {formatClock(onPage(session.endedAt ?? 0))}: its ephemerals went with it
      </span>
    );
  }
  return (
    <span className="badge gone-badge">
      gone at {formatClock(goneAt ?? 0)} (closed or expired: the dashboard did not see)
    </span>
  );
}

function SessionRow({
  line,
  onPage,
}: {
  line: SessionLine;
  /** A time of the server's clock on this page's. */
  onPage: (time: number) => number;
}) {
  const { session } = line;
  const state = rowStateOf(line);
  return (
    <tr
      data-testid="session-row"
      data-session={session.id}
      data-state={state}
      className={state === 'connected' ? '' : state === 'away' ? 'at-risk' : 'expired'}
    >
      <td>
        <code title={session.id}>{formatSessionId(session.id)}</code>
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
        {state === 'connected' ? (
          <span className="badge ok">connected</span>
        ) : state === 'away' ? (
          <>
            <span className="badge fault">{session.because ?? 'not connected'}</span>{' '}
            {session.expiryHeld !== null ? (
              <span data-testid="session-countdown" className="muted small">
                {session.expiryHeld}
              </span>
            ) : session.expiresBy !== null ? (
              <Countdown
                deadline={onPage(session.expiresBy)}
                timeoutMs={session.timeoutMs}
                approximate={session.expiryApproximate}
              />
            ) : (
              <span data-testid="session-countdown" className="muted small">
                expiry unknown
              </span>
            )}
          </>
        ) : (
          <EndBadge line={line} onPage={onPage} />
        )}
      </td>
    </tr>
  );
}

export function SessionsPanel() {
  const snap = useSignal(snapshot);
  const memory = useRef(new SessionMemory());
  const { lines, onPage } = useMemo(() => {
    const receivedAt = Date.now();
    const serverTime = snap?.time ?? receivedAt;
    return {
      lines: memory.current.update(snap?.sessions ?? [], receivedAt),
      onPage: (time: number) => onPageClock(time, serverTime, receivedAt),
    };
  }, [snap]);
  const stale = snap?.stale ?? null;
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
      {stale !== null && <StaleNote stale={stale} onPage={onPage} />}
      <div className="scroll-x" style={stale !== null ? STALE_STYLE : undefined}>
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
            {lines.map((line: SessionLine) => (
              <SessionRow key={line.session.id} line={line} onPage={onPage} />
            ))}
          </tbody>
        </table>
        {lines.length === 0 && <p className="muted">No sessions.</p>}
      </div>
    </Panel>
  );
}

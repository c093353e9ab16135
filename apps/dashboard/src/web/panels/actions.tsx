import { useMemo, useState, type ReactNode } from 'react';
import type { ActionRun, Prediction } from '../../protocol';
import { formatClock, formatDuration } from '../format';
import { useSignal } from '../signal';
import { actions, chaos, runAction, runChaos, runs, snapshot, type ActionInfo } from '../store';
import { Panel } from './panel';

const CLIENT_SEES = ['nothing', 'ConnectionLoss', 'SessionExpired'] as const;

function PredictDialog({ action, onClose }: { action: ActionInfo; onClose: () => void }) {
  const masters = (useSignal(snapshot)?.apps ?? []).filter((app) => app.kind === 'master');
  const [leader, setLeader] = useState('');
  const [clientSees, setClientSees] = useState('');
  const [busy, setBusy] = useState(false);
  const breakIt = async () => {
    setBusy(true);
    const prediction: Prediction | undefined =
      leader === '' && clientSees === ''
        ? undefined
        : {
            leader: leader === '' ? null : leader,
            clientSees: CLIENT_SEES.find((c) => c === clientSees) ?? null,
          };
    await runAction(action.kind, prediction);
    setBusy(false);
    onClose();
  };
  return (
    <dialog open aria-labelledby="predict-title" onClose={onClose}>
      <article>
        <header>
          <button type="button" aria-label="Close" rel="prev" onClick={onClose} />
          <h3 id="predict-title">Predict, then break</h3>
          <p className="small muted">
            <code>{action.kind}</code>: {action.what}
          </p>
        </header>
        <p className="small">
          Say what you expect before it happens; the page sets it beside what happened.
        </p>
        <label>
          Who leads the masters next?
          <select value={leader} onChange={(event) => setLeader(event.target.value)}>
            <option value="">no prediction</option>
            {masters.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
                {m.leading ? ' (leads now)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          What does the faulted client see?
          <select value={clientSees} onChange={(event) => setClientSees(event.target.value)}>
            <option value="">no prediction</option>
            {CLIENT_SEES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <footer>
          <button type="button" className="secondary outline" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            data-testid="action-confirm"
            aria-busy={busy}
            disabled={busy}
            onClick={() => void breakIt()}
          >
            Break it
          </button>
        </footer>
      </article>
    </dialog>
  );
}

function verdict(predicted: string | null | undefined, actual: string | null): ReactNode {
  if (predicted === null || predicted === undefined) return null;
  if (actual === null) return <span className="muted">you said {predicted}</span>;
  return predicted === actual ? (
    <span className="right">you said {predicted}: right ✓</span>
  ) : (
    <span className="wrong">you said {predicted}: wrong ✗</span>
  );
}

function RunRow({ run }: { run: ActionRun }) {
  const done = run.state !== 'running' && run.state !== 'healing';
  return (
    <li
      className={`run run-${run.state}`}
      data-testid="action-run"
      data-kind={run.kind}
      data-state={run.state}
    >
      <div>
        <strong>{run.kind}</strong>
        {run.target !== null && <span> → {run.target}</span>}{' '}
        <span className={`badge run-${run.state}`}>{run.state}</span>{' '}
        <span className="small muted">{formatClock(run.startedAt)}</span>
      </div>
      <div className="small">
        {run.state === 'running' && 'the fault is in force…'}
        {run.state === 'healing' &&
          `held ${formatDuration(run.heldMs)}; waiting for the lab to be whole again…`}
        {run.state === 'healed' &&
          `healed in ${formatDuration(run.healMs)} (fault held ${formatDuration(run.heldMs)})`}
        {run.state === 'not-healed' && `not healed: ${run.why ?? 'no reason given'}`}
        {run.state === 'failed' && `failed: ${run.why ?? 'no reason given'}`}
        {run.note !== null && <span className="muted"> · {run.note}</span>}
      </div>
      <div className="small outcome">
        <span>
          leader {run.leaderBefore ?? '?'} → {done ? (run.leaderAfter ?? 'none') : '…'}{' '}
          {verdict(run.prediction?.leader, done ? run.leaderAfter : null)}
        </span>
        <span>
          client saw {run.clientSaw ?? (done ? '?' : '…')}{' '}
          {verdict(run.prediction?.clientSees, run.clientSaw)}
        </span>
      </div>
    </li>
  );
}

function ChaosForm() {
  const run = useSignal(chaos);
  const [seed, setSeed] = useState(() => Math.floor(Math.random() * 100_000));
  const [rounds, setRounds] = useState(3);
  const active = run !== null && (run.state === 'running' || run.state === 'judging');
  return (
    <section className="chaos">
      <h3>Chaos run</h3>
      <form
        className="chaos-form"
        onSubmit={(event) => {
          event.preventDefault();
          void runChaos(seed, rounds);
        }}
      >
        <label>
          seed
          <input
            type="number"
            value={seed}
            onChange={(event) => setSeed(Math.trunc(Number(event.target.value)))}
          />
        </label>
        <label>
          rounds
          <input
            type="number"
            min={1}
            max={5}
            value={rounds}
            onChange={(event) =>
              setRounds(Math.min(5, Math.max(1, Math.trunc(Number(event.target.value)))))
            }
          />
        </label>
        <button type="submit" data-testid="chaos-start" disabled={active}>
          Start
        </button>
      </form>
      {run !== null && (
        <div className={`chaos-run chaos-${run.state}`}>
          <p>
            seed {run.seed}:{' '}
            <strong data-testid="chaos-state" className={`badge chaos-${run.state}`}>
              {run.state}
            </strong>{' '}
            <span className="small">
              {run.done}/{run.total} rounds
            </span>
          </p>
          <progress value={run.done} max={Math.max(1, run.total)} />
          {run.last !== null && <p className="small muted">{run.last}</p>}
          {run.violations.length > 0 && (
            <ul className="violations small">
              {run.violations.map((v) => (
                <li key={v}>{v}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

export function ActionsPanel({ mode }: { mode: 'lab' | 'read-only' }) {
  const catalog = useSignal(actions);
  const list = useSignal(runs);
  const [open, setOpen] = useState<ActionInfo | null>(null);
  const groups = useMemo(() => {
    const byGroup = new Map<string, ActionInfo[]>();
    for (const action of catalog)
      byGroup.set(action.group, [...(byGroup.get(action.group) ?? []), action]);
    return [...byGroup];
  }, [catalog]);
  if (mode !== 'lab') return null;
  return (
    <Panel
      name="actions"
      title="Break it"
      aside={<span className="muted small">predict, then break</span>}
    >
      {groups.map(([group, items]) => (
        <section key={group} className="action-group">
          <h3>{group}</h3>
          <div className="action-buttons">
            {items.map((action) => (
              <button
                key={action.kind}
                type="button"
                className="outline"
                data-testid="action"
                data-kind={action.kind}
                title={action.what}
                onClick={() => setOpen(action)}
              >
                {action.kind}
              </button>
            ))}
          </div>
        </section>
      ))}
      {catalog.length === 0 && <p className="muted">No actions offered.</p>}
      {list.length > 0 && (
        <section>
          <h3>Runs</h3>
          <ul className="runs">
            {list.slice(0, 6).map((run) => (
              <RunRow key={run.id} run={run} />
            ))}
          </ul>
        </section>
      )}
      <ChaosForm />
      {open !== null && <PredictDialog action={open} onClose={() => setOpen(null)} />}
    </Panel>
  );
}

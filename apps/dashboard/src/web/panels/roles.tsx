import type { AppView } from '../../protocol';
import { useSignal } from '../signal';
import { onPageClock } from '../format';
import { goTo, hello, snapshot } from '../store';
import { Panel } from './panel';
import { STALE_STYLE, StaleNote } from './stale';

function AppRow({ app, root }: { app: AppView; root: string }) {
  const prefix = root === '/' ? '' : root;
  return (
    <li
      className={`app-row${app.leading ? ' leading' : ''}${app.process === 'down' ? ' process-gone' : ''}`}
      data-testid="app-row"
      data-app={app.name}
      data-kind={app.kind}
      data-process={app.process}
      data-leading={app.leading}
      data-partitioned={app.partitioned}
    >
      <span className="app-name">
        {app.leading && <span title="leading master">★ </span>}
        <strong>{app.name}</strong>
      </span>
      <span className={`badge process process-${app.process}`}>{app.process}</span>
      {app.partitioned && <span className="badge fault">partitioned</span>}
      <span className="muted small app-role">{app.role}</span>
      {app.kind === 'master' && app.epoch !== null && (
        <span className="small">epoch {app.epoch}</span>
      )}
      {app.kind === 'worker' && (
        <span className="small running">
          {app.registered ? '' : 'unregistered · '}
          {app.running.length === 0
            ? 'idle'
            : app.running.map((key) => (
                <a
                  key={key}
                  href="#"
                  onClick={(event) => {
                    event.preventDefault();
                    void goTo(`${prefix}/assign/${app.name}/${key}`);
                  }}
                >
                  {key}
                </a>
              ))}
        </span>
      )}
    </li>
  );
}

const GROUPS: { kind: AppView['kind']; title: string }[] = [
  { kind: 'master', title: 'Masters' },
  { kind: 'worker', title: 'Workers' },
  { kind: 'producer', title: 'Producer' },
];

export function RolesPanel() {
  const snap = useSignal(snapshot);
  const root = useSignal(hello)?.root ?? '/';
  const apps = snap?.apps ?? [];
  const leader = snap?.leaderMaster;
  // Read-only mode finds the apps in the namespace: stale with it. The lab reads its apps.
  const stale = snap?.mode === 'read-only' ? (snap.stale ?? null) : null;
  const receivedAt = Date.now();
  const onPage = (time: number) => onPageClock(time, snap?.time ?? receivedAt, receivedAt);
  return (
    <Panel
      name="roles"
      title="Roles"
      aside={
        <span className="muted small">
          {leader
            ? `${leader.name} leads${leader.epoch !== null ? `, epoch ${leader.epoch}` : ''}`
            : 'no leader'}
        </span>
      }
    >
      {stale !== null && <StaleNote stale={stale} onPage={onPage} />}
      <div style={stale !== null ? STALE_STYLE : undefined}>
        {GROUPS.map(({ kind, title }) => {
          const group = apps.filter((app) => app.kind === kind);
          return (
            <section key={kind} className="role-group">
              <h3>{title}</h3>
              {group.length === 0 ? (
                <p className="muted small">none</p>
              ) : (
                <ul className="app-list">
                  {group.map((app) => (
                    <AppRow key={app.name} app={app} root={root} />
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </div>
    </Panel>
  );
}

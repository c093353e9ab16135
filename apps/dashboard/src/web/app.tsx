import { useEffect, useState } from 'react';
import { ActionsPanel } from './panels/actions';
import { ChartsPanel } from './panels/charts';
import { EnsemblePanel } from './panels/ensemble';
import { Header } from './panels/header';
import { JobsPanel } from './panels/jobs';
import { RolesPanel } from './panels/roles';
import { SessionsPanel } from './panels/sessions';
import { TimelinePanel } from './panels/timeline';
import { TreePanel } from './panels/tree';
import { useSignal } from './signal';
import { READ_ONLY_REFUSAL } from '../protocol';
import { dismissError, errors, hello, stream } from './store';

export type Theme = 'auto' | 'light' | 'dark';

function useTheme(): [Theme, (theme: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => {
    const saved = localStorage.getItem('zk-lab-theme');
    return saved === 'light' || saved === 'dark' ? saved : 'auto';
  });
  useEffect(() => {
    if (theme === 'auto') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
    localStorage.setItem('zk-lab-theme', theme);
  }, [theme]);
  return [theme, setTheme];
}

function Banners() {
  const list = useSignal(errors);
  const state = useSignal(stream);
  return (
    <div className="banners" aria-live="polite">
      {state === 'reconnecting' && (
        <p className="banner banner-warn" role="status">
          Disconnected from the dashboard&apos;s server: reconnecting… (the tree reloads when it is
          back)
        </p>
      )}
      {list.map((notice) => (
        <p key={notice.id} className="banner banner-error" role="alert" data-testid="error-banner">
          <span>{notice.text}</span>
          <button
            type="button"
            className="secondary outline dismiss"
            aria-label="Dismiss"
            onClick={() => dismissError(notice.id)}
          />
        </p>
      ))}
    </div>
  );
}

export function App() {
  const [theme, setTheme] = useTheme();
  const info = useSignal(hello);
  return (
    <>
      <Header theme={theme} onTheme={setTheme}>
        <Banners />
      </Header>
      <main className="container-fluid">
        {info === null ? (
          <article aria-busy="true">Connecting to the dashboard&apos;s server…</article>
        ) : (
          <>
            {info.mode === 'read-only' && (
              <p className="banner banner-info" data-testid="readonly-notice">
                {READ_ONLY_REFUSAL}
              </p>
            )}
            <div className={`panels ${info.mode}`}>
              <EnsemblePanel />
              <RolesPanel />
              <SessionsPanel />
              <ActionsPanel mode={info.mode} />
              <ChartsPanel />
              <JobsPanel />
              <TimelinePanel />
              <TreePanel mode={info.mode} />
            </div>
          </>
        )}
      </main>
    </>
  );
}

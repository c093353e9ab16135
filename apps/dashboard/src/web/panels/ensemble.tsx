import type { ServerView } from '../../protocol';
import { formatCount } from '../format';
import { useSignal } from '../signal';
import { snapshot } from '../store';
import { Panel } from './panel';

const round = (n: number): string => String(Math.round(n * 10) / 10);

function ServerCard({ server }: { server: ServerView }) {
  return (
    <article
      className={`server-card role-${server.role}`}
      data-testid="server-card"
      data-server={server.id}
      data-role={server.role}
      data-partitioned={server.partitioned}
    >
      <header>
        <strong>zk{server.id}</strong>{' '}
        <span className={`badge role role-${server.role}`}>
          {server.role === 'words-refused'
            ? `refuses ${server.refusedWords.filter((w) => w === 'srvr' || w === 'mntr').join(' and ')}`
            : server.role}
        </span>
        {server.partitioned && <span className="badge fault">partitioned</span>}
        {server.paused && <span className="badge fault">paused</span>}
      </header>
      <dl className="stats">
        <dt>address</dt>
        <dd>
          <code>{server.address}</code>
        </dd>
        <dt title="Last zxid: epoch (elections so far) : counter (transactions in that epoch)">
          zxid
        </dt>
        <dd>{server.zxid === null ? '–' : `${server.zxid.epoch}:${server.zxid.counter}`}</dd>
        <dt>latency</dt>
        <dd>
          {server.latency === null
            ? '–'
            : `${round(server.latency.avg)} avg · ${round(server.latency.max)} max ms`}
        </dd>
        <dt>connections</dt>
        <dd>{formatCount(server.connections)}</dd>
        <dt>znodes</dt>
        <dd>{formatCount(server.znodes)}</dd>
        <dt>watches</dt>
        <dd>{formatCount(server.watches)}</dd>
        <dt>ephemerals</dt>
        <dd>{formatCount(server.ephemerals)}</dd>
        <dt>outstanding</dt>
        <dd>{formatCount(server.outstanding)}</dd>
      </dl>
      {server.error !== null && <p className="small error-text">{server.error}</p>}
      {server.refusedWords.length > 0 && (
        <p className="small warn-text">
          Refused four-letter words: <strong>{server.refusedWords.join(', ')}</strong>. To allow
          them, the server&apos;s config needs{' '}
          <code>4lw.commands.whitelist={server.refusedWords.join(',')}</code> (or <code>*</code>).
        </p>
      )}
    </article>
  );
}

export function EnsemblePanel() {
  const snap = useSignal(snapshot);
  const servers = snap?.servers ?? [];
  return (
    <Panel
      name="ensemble"
      title="Ensemble"
      aside={<span className="muted small">{servers.length} servers</span>}
    >
      <div className="server-grid">
        {servers.map((server) => (
          <ServerCard key={server.id} server={server} />
        ))}
        {servers.length === 0 && <p className="muted">No servers reported yet.</p>}
      </div>
    </Panel>
  );
}

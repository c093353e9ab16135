import { useEffect, useMemo, useState } from 'react';
import type { DashboardMode, NodeDetail, StatView } from '../../protocol';
import {
  base64ToBytes,
  bytesToBase64,
  hexPairs,
  hexView,
  jsonView,
  parseHex,
  utf8View,
} from '../data-views';
import { useSignal } from '../signal';
import { detail, detailGone, saveNode, selected } from '../store';

type View = 'utf8' | 'json' | 'hex';

const STAT_HELP: Record<keyof StatView, string> = {
  czxid: 'zxid of the transaction that created the node',
  mzxid: 'zxid of the last change to its data',
  pzxid: 'zxid of the last change to its children (a child created or deleted)',
  ctime: 'when it was created (the leader’s clock)',
  mtime: 'when its data last changed',
  version: 'changes to its data so far; a conditional set or delete names it',
  cversion: 'changes to its list of children so far',
  aversion: 'changes to its ACL so far',
  ephemeralOwner:
    'the session that owns it when ephemeral (it goes when that session expires); 0 otherwise',
  dataLength: 'bytes of data',
  numChildren: 'children it has now',
};

function statValue(key: keyof StatView, stat: StatView): string {
  const value = stat[key];
  if (key === 'ctime' || key === 'mtime') return new Date(value).toISOString().replace('T', ' ');
  return String(value);
}

function DataView({ node, mode }: { node: NodeDetail; mode: DashboardMode }) {
  const bytes = useMemo(() => base64ToBytes(node.base64), [node.base64]);
  const initial: View =
    node.encoding === 'json' ? 'json' : node.encoding === 'binary' ? 'hex' : 'utf8';
  const [view, setView] = useState<View>(initial);
  // The text being edited, and the version it was read at: the save names that version, so
  // a change made meanwhile by anyone else is refused by ZooKeeper, never overwritten.
  const [editing, setEditing] = useState<{ text: string; version: number } | null>(null);
  useEffect(() => {
    setView(initial);
    setEditing(null);
  }, [node.path, initial]);
  const movedOn = editing !== null && node.stat.version !== editing.version;
  const text =
    view === 'hex'
      ? hexView(bytes)
      : view === 'json'
        ? (jsonView(bytes) ?? '(not JSON)')
        : (utf8View(bytes) ?? '(not valid UTF-8: see hex)');
  const startEdit = () => {
    const asText = utf8View(bytes);
    setEditing({
      text: view === 'hex' || asText === null ? hexPairs(bytes) : asText,
      version: node.stat.version,
    });
    if (asText === null) setView('hex');
  };
  const save = async () => {
    if (editing === null) return;
    const next = view === 'hex' ? parseHex(editing.text) : new TextEncoder().encode(editing.text);
    if (next === null) {
      window.alert('Hex must be pairs of hex digits');
      return;
    }
    if (await saveNode(node.path, bytesToBase64(next), editing.version)) setEditing(null);
  };
  return (
    <section className="data-view">
      <div className="data-head">
        <div role="group" className="view-switch">
          {(['utf8', 'json', 'hex'] as const).map((v) => (
            <button
              key={v}
              type="button"
              className={v === view ? '' : 'outline secondary'}
              aria-pressed={v === view}
              disabled={editing !== null && v === 'json'}
              onClick={() => setView(v)}
            >
              {v === 'utf8' ? 'UTF-8' : v === 'json' ? 'JSON' : 'hex'}
            </button>
          ))}
        </div>
        <span className="muted small">{bytes.length} bytes</span>
        {mode === 'lab' && editing === null && (
          <button type="button" className="outline" data-testid="edit-start" onClick={startEdit}>
            Edit
          </button>
        )}
      </div>
      {editing === null ? (
        <pre className="data">
          {bytes.length === 0 ? <span className="muted">(empty)</span> : text}
        </pre>
      ) : (
        <div className="edit">
          <textarea
            data-testid="edit-text"
            rows={8}
            value={editing.text}
            onChange={(event) => setEditing({ ...editing, text: event.target.value })}
            spellCheck={false}
          />
          {movedOn ? (
            <p className="small" data-testid="edit-moved-on" role="alert">
              Someone changed this node since you began (now version {node.stat.version}, your edit
              is of version {editing.version}): saving will be refused. Cancel and edit again to
              start from the new data.
            </p>
          ) : (
            <p className="small muted">
              Saved only if the node is still at version {editing.version}; if someone changed it
              since, ZooKeeper refuses and the new version shows here.
            </p>
          )}
          <div className="grid">
            <button type="button" data-testid="edit-save" onClick={() => void save()}>
              Save (version {editing.version})
            </button>
            <button
              type="button"
              className="secondary outline"
              data-testid="edit-cancel"
              onClick={() => setEditing(null)}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

export function NodeDetailPane({ mode }: { mode: DashboardMode }) {
  const path = useSignal(selected);
  const node = useSignal(detail);
  const gone = useSignal(detailGone);
  if (path === null) {
    return (
      <aside className="node-detail empty">
        <p className="muted">Select a node to see its stat and data.</p>
      </aside>
    );
  }
  return (
    <aside className="node-detail" data-testid="node-detail" data-path={path}>
      <h3 className="path">
        <code>{path}</code>
      </h3>
      {gone === path ? (
        <p data-testid="node-gone">
          No such node now: it was deleted (an ephemeral node goes with its session). If it is
          created again, it shows here.
        </p>
      ) : node === null || node.path !== path ? (
        <p aria-busy="true">loading…</p>
      ) : (
        <>
          <p>
            <span className={`badge type type-${node.type}`}>{node.type}</span>
          </p>
          <table className="stat compact">
            <tbody>
              {(Object.keys(STAT_HELP) as (keyof StatView)[]).map((key) => (
                <tr key={key}>
                  <th scope="row">
                    <code>{key}</code>
                  </th>
                  <td>
                    <code>{statValue(key, node.stat)}</code>
                    <div className="small muted">{STAT_HELP[key]}</div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <DataView node={node} mode={mode} />
        </>
      )}
    </aside>
  );
}

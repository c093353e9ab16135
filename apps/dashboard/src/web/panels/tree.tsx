import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { DashboardMode } from '../../protocol';
import { baseName } from '../paths';
import { useSignal } from '../signal';
import {
  droppedChanges,
  goTo,
  loadMore,
  scrollTarget,
  select,
  selected,
  toggle,
  tree,
  treeVersion,
} from '../store';
import type { TreeRow } from '../tree-model';
import { NodeDetailPane } from './node-detail';
import { Panel } from './panel';
import { RecipeOverlay } from './recipes';

const ROW_HEIGHT = 30;

type NodeRow = Extract<TreeRow, { kind: 'node' }>;

const Row = memo(function Row({ row, isSelected }: { row: NodeRow; isSelected: boolean }) {
  const { node } = row;
  const canOpen = row.childCount !== 0;
  return (
    <div
      className={`tree-row${isSelected ? ' selected' : ''}${row.gone ? ' gone' : ''}`}
      data-testid="tree-row"
      data-path={row.path}
      data-type={node?.type ?? 'persistent'}
      data-sequential={node?.sequential ?? false}
      data-owner={node?.owner ?? ''}
      data-gone={row.gone}
      data-flash={row.flash?.kind ?? ''}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-expanded={canOpen ? row.expanded : undefined}
      aria-selected={isSelected}
      tabIndex={0}
      onClick={() => select(row.path)}
      onKeyDown={(event) => {
        // Enter selects; the arrows open and close, as in a file tree.
        if (event.key === 'Enter') select(row.path);
        else if (canOpen && event.key === (row.expanded ? 'ArrowLeft' : 'ArrowRight'))
          toggle(row.path);
        else return;
        event.preventDefault();
      }}
    >
      {row.flash !== null && (
        <span key={row.flash.at} className={`flash flash-${row.flash.kind}`} />
      )}
      <span className="tree-name" style={{ paddingLeft: `${row.depth * 1.1}rem` }}>
        {canOpen ? (
          <button
            type="button"
            className="tree-toggle"
            data-testid="tree-toggle"
            aria-label={row.expanded ? 'collapse' : 'expand'}
            onClick={(event) => {
              event.stopPropagation();
              toggle(row.path);
            }}
          >
            {row.expanded ? '▾' : '▸'}
          </button>
        ) : (
          <span className="tree-toggle-space" />
        )}
        <span className="name" title={row.path}>
          {row.depth === 0 ? row.path : baseName(row.path)}
        </span>
      </span>
      <span className="tree-type">
        {node !== null && <span className={`badge type type-${node.type}`}>{node.type}</span>}
        {node?.sequential === true && <span className="badge type type-sequential">seq</span>}
      </span>
      <span className="tree-num" title="children">
        {row.childCount === null ? '' : row.childCount.toLocaleString('en-US')}
      </span>
      <span className="tree-num" title="data version">
        {node === null ? '' : `v${node.version}`}
      </span>
      <span className="tree-owner" title="owner session">
        {row.flash?.kind === 'replaced' &&
        row.flash.was != null &&
        row.flash.was !== node?.owner ? (
          <>
            <s>{row.flash.was}</s> → {node?.owner ?? ''}
          </>
        ) : (
          (node?.owner ?? '')
        )}
      </span>
      <span className="tree-preview" title={node?.preview}>
        {node?.preview ?? ''}
      </span>
    </div>
  );
});

function MoreRow({ row }: { row: Extract<TreeRow, { kind: 'more' }> }) {
  // Rendered means scrolled into view: fetch the next page.
  useEffect(() => loadMore(row.path), [row.path, row.loaded]);
  return (
    <div className="tree-row more" style={{ paddingLeft: `${row.depth * 1.1 + 1.6}rem` }}>
      <span className="muted small" aria-busy="true">
        loading more… {row.loaded.toLocaleString('en-US')} of {row.total.toLocaleString('en-US')}
      </span>
    </div>
  );
}

function TreeRows() {
  const model = useSignal(tree);
  const version = useSignal(treeVersion);
  const sel = useSignal(selected);
  const target = useSignal(scrollTarget);
  // The version changes whenever the model's rows do (the model itself is mutated in place).
  const rows = useMemo(() => model?.rows() ?? [], [model, version]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  useEffect(() => {
    if (target === null) return;
    const index = rows.findIndex((row) => row.kind === 'node' && row.path === target.path);
    if (index >= 0) virtualizer.scrollToIndex(index, { align: 'center' });
    // Only for a new target: rows moving on should not scroll the view again.
  }, [target]);
  return (
    <div className="tree-scroll" ref={scroller} role="tree" aria-label="znode tree">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (row === undefined) return null;
          return (
            <div
              key={row.kind === 'node' ? row.path : `more:${row.path}`}
              className="tree-slot"
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
            >
              {row.kind === 'node' ? (
                <Row row={row} isSelected={row.path === sel} />
              ) : (
                <MoreRow row={row} />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function GoTo() {
  const [value, setValue] = useState('');
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter' && value.trim() !== '') void goTo(value);
  };
  return (
    <input
      type="search"
      className="goto"
      placeholder="go to path… (Enter)"
      aria-label="Go to path"
      data-testid="tree-goto"
      value={value}
      onChange={(event) => setValue(event.target.value)}
      onKeyDown={onKey}
    />
  );
}

export function TreePanel({ mode }: { mode: DashboardMode }) {
  const [overlay, setOverlay] = useState(false);
  const dropped = useSignal(droppedChanges);
  return (
    <Panel
      name="tree"
      title="znode tree"
      wide
      aside={
        <div className="tree-tools">
          {dropped > 0 && (
            <span
              className="small warn-text"
              title="The server dropped changes because the page fell behind"
            >
              {dropped} changes dropped
            </span>
          )}
          <GoTo />
          <label className="small">
            <input
              type="checkbox"
              role="switch"
              checked={overlay}
              onChange={() => setOverlay(!overlay)}
            />
            recipe overlay
          </label>
        </div>
      }
    >
      <div className="tree-layout" data-testid="tree">
        <div className="tree-column">
          <div className="tree-row tree-header" aria-hidden="true">
            <span>name</span>
            <span>type</span>
            <span className="tree-num">children</span>
            <span className="tree-num">version</span>
            <span>owner</span>
            <span>data</span>
          </div>
          <TreeRows />
        </div>
        <NodeDetailPane mode={mode} />
      </div>
      {overlay && <RecipeOverlay />}
    </Panel>
  );
}

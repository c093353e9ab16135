/**
 * The live view's screen as lines of styled segments, computed in plain TypeScript (the ink
 * view only draws them): the tree window on the left, the ensemble, the followed node and
 * the sessions on the right, then the event log, the status line and the keys.
 */
import type { LogEntry } from './change-log';
import type { ServerReading } from './ensemble-panel';
import type { VisibleWindow } from './tree-window';
import {
  type ChangeKind,
  looksSequential,
  sessionHex,
  type TreeRow,
  type ZnodeEntry,
  znodeType,
} from './znode-tree';

export type Colour = 'green' | 'yellow' | 'red' | 'cyan' | 'gray';

export interface Segment {
  text: string;
  colour?: Colour;
  inverse?: boolean;
  bold?: boolean;
}

export type Line = Segment[];

export interface Followed {
  path: string;
  entry: ZnodeEntry | undefined;
  /** The node's data as last read (up to a few KB), or null before the first read. */
  data: Buffer | null;
}

export interface ScreenState {
  cols: number;
  rows: number;
  root: string;
  connectString: string;
  /** Rows of the tree, for `window` to pick from: the layout says how many fit. */
  tree: (height: number) => VisibleWindow;
  nodeCount: number;
  servers: ServerReading[] | null;
  sessions: { session: bigint; paths: string[] }[];
  ownSession: bigint;
  log: (count: number) => readonly LogEntry[];
  connection: string;
  eventsPerSecond: number;
  /** The subtree is being read (at start, after a reconnect or a new session). */
  loading: boolean;
  behind: number;
  filter: string;
  editingFilter: boolean;
  followed: Followed | null;
}

const FLASH_COLOUR: Record<ChangeKind, Colour> = {
  created: 'green',
  changed: 'yellow',
  deleted: 'red',
};
const FLASH_MARK: Record<ChangeKind, string> = { created: '+', changed: '~', deleted: '-' };
const LOG_LINES = 8;

/** `text` cut or padded to exactly `width` characters. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}

function fitRight(text: string, width: number): string {
  return text.length >= width ? fit(text, width) : text.padStart(width);
}

/** Segments cut or padded to exactly `width` characters. */
function fitLine(line: Line, width: number): Line {
  const out: Line = [];
  let left = width;
  for (const segment of line) {
    if (left <= 0) break;
    const text = segment.text.length > left ? fit(segment.text, left) : segment.text;
    out.push({ ...segment, text });
    left -= text.length;
  }
  if (left > 0) out.push({ text: ' '.repeat(left) });
  return out;
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

function typeLabel(entry: ZnodeEntry): string {
  const type = znodeType(entry.stat);
  const short = { persistent: 'pers', ephemeral: 'eph', container: 'cont', ttl: 'ttl' }[type];
  return looksSequential(entry.name) ? `${short}+seq` : short;
}

interface TreeColumns {
  name: number;
  preview: number;
}

// The marker, then type, version, children, size, owner and the gap before the data.
const FIXED = 1 + 9 + 5 + 6 + 8 + 19 + 1;

function treeColumns(width: number): TreeColumns {
  const name = Math.max(12, Math.min(32, width - FIXED - 8));
  return { name, preview: Math.max(0, width - FIXED - name) };
}

function treeHeading(width: number): Line {
  const c = treeColumns(width);
  const text =
    ` ${fit('znode', c.name)} ${fit('type', 8)} ${fitRight('ver', 4)} ${fitRight('kids', 5)} ` +
    `${fitRight('bytes', 7)} ${fit('owner', 18)} ${fit('data', c.preview)}`;
  return [{ text: fit(text, width), bold: true }];
}

function treeLine(row: TreeRow, width: number, selected: boolean): Line {
  const { entry, depth, expanded } = row;
  const c = treeColumns(width);
  const twisty = entry.children.size === 0 ? ' ' : expanded ? '▾' : '▸';
  const owner = znodeType(entry.stat) === 'ephemeral' ? sessionHex(entry.stat.ephemeralOwner) : '';
  const mark = entry.flash === null ? ' ' : FLASH_MARK[entry.flash.kind];
  const name = `${'  '.repeat(depth)}${twisty} ${depth === 0 ? entry.path : entry.name}`;
  const text =
    `${mark}${fit(name, c.name)} ${fit(typeLabel(entry), 8)} ${fitRight(String(entry.stat.version), 4)} ` +
    `${fitRight(String(entry.children.size), 5)} ${fitRight(String(entry.stat.dataLength), 7)} ` +
    `${fit(owner, 18)} ${fit(entry.readable ? entry.preview : '(NoAuth)', c.preview)}`;
  const segment: Segment = { text: fit(text, width) };
  if (entry.flash !== null) segment.colour = FLASH_COLOUR[entry.flash.kind];
  if (selected) segment.inverse = true;
  return [segment];
}

function serverLines(servers: ServerReading[] | null): Line[] {
  const lines: Line[] = [[{ text: 'Ensemble', bold: true }]];
  if (servers === null) return [...lines, [{ text: ' reading the servers…', colour: 'gray' }]];
  for (const s of servers) {
    const state = s.up ? (s.mode ?? s.problem ?? '?') : `down (${s.problem ?? '?'})`;
    lines.push([
      { text: ` ${s.server} ` },
      { text: state, colour: !s.up ? 'red' : s.mode === null ? 'yellow' : 'green' },
      { text: s.zxid === null ? '' : ` ${s.zxid}` },
    ]);
  }
  return lines;
}

function detailLines(followed: Followed, width: number, max: number): Line[] {
  const name = followed.path.slice(followed.path.lastIndexOf('/') + 1) || '/';
  const path =
    followed.path.length < width ? followed.path : `…${followed.path.slice(-(width - 2))}`;
  const lines: Line[] = [[{ text: `Following ${name}`, bold: true }], [{ text: ` ${path}` }]];
  const entry = followed.entry;
  if (entry === undefined || entry.ghost) {
    lines.push([{ text: ' deleted', colour: 'red' }]);
    return lines;
  }
  const s = entry.stat;
  const owner = znodeType(s) === 'ephemeral' ? sessionHex(s.ephemeralOwner) : znodeType(s);
  lines.push(
    [{ text: ` version ${s.version}  cversion ${s.cversion}  aversion ${s.aversion}` }],
    [{ text: ` children ${entry.children.size}  bytes ${s.dataLength}` }],
    [{ text: ` owner ${owner}` }],
    [{ text: ` czxid 0x${s.czxid.toString(16)}  mzxid 0x${s.mzxid.toString(16)}` }],
    [{ text: ` mtime ${new Date(Number(s.mtime)).toISOString()}` }],
  );
  if (followed.data === null) {
    lines.push([{ text: ' reading…', colour: 'gray' }]);
  } else {
    const text = followed.data.toString('utf8');
    for (const raw of text.split('\n')) {
      for (let i = 0; i < Math.max(1, raw.length); i += width - 1) {
        lines.push([{ text: ` ${raw.slice(i, i + width - 1)}`, colour: 'cyan' }]);
        if (lines.length >= max) return lines;
      }
    }
  }
  return lines.slice(0, max);
}

function sessionLines(state: ScreenState, max: number): Line[] {
  const lines: Line[] = [
    [{ text: `Sessions with ephemerals (${state.sessions.length})`, bold: true }],
  ];
  for (const { session, paths } of state.sessions) {
    if (lines.length >= max) break;
    const mine = session === state.ownSession ? ' (this view)' : '';
    lines.push([{ text: ` ${sessionHex(session)}${mine} ${paths.length} node(s)`, bold: true }]);
    for (const path of paths) {
      if (lines.length >= max) break;
      const shown = path.startsWith(`${state.root}/`) ? path.slice(state.root.length) : path;
      lines.push([{ text: `   ${shown}` }]);
    }
  }
  return lines;
}

function logLine(entry: LogEntry, width: number): Line {
  const colour: Colour = entry.kind === 'connection' ? 'cyan' : FLASH_COLOUR[entry.kind];
  const who =
    entry.kind === 'connection'
      ? ''
      : entry.session === null
        ? ''
        : `  session ${sessionHex(entry.session)}`;
  return fitLine(
    [
      { text: `${clock(entry.at)} ` },
      { text: fit(entry.kind, 11), colour },
      { text: `${entry.path}${who}` },
    ],
    width,
  );
}

/** For a terminal too narrow for the panels: the servers and sessions in a few words. */
function ensembleSummary(state: ScreenState): string {
  const sessions = `${state.sessions.length} sessions with ephemerals`;
  if (state.servers === null) return sessions;
  const up = state.servers.filter((s) => s.up && s.mode !== null);
  const leader = state.servers.find((s) => s.mode === 'leader' || s.mode === 'standalone');
  const lead = leader === undefined ? 'no leader' : `${leader.mode} ${leader.server}`;
  return `servers ${up.length}/${state.servers.length}, ${lead}, ${sessions}`;
}

/** The whole screen: exactly `rows - 1` lines of `cols` characters. */
export function layoutScreen(state: ScreenState): Line[] {
  const { cols, rows } = state;
  const rightWidth = cols >= 100 ? Math.min(48, Math.floor(cols / 3)) : 0;
  const leftWidth = rightWidth === 0 ? cols : cols - rightWidth - 3;
  const logHeight = Math.max(1, Math.min(LOG_LINES, Math.floor((rows - 6) / 4)));
  const treeHeight = Math.max(1, rows - 6 - logHeight);
  const lines: Line[] = [];

  const title = ` zk-lab top  ${state.root}  on ${state.connectString}  ${state.nodeCount} nodes`;
  lines.push([{ text: fit(title, cols), inverse: true }]);

  const window = state.tree(treeHeight);
  const left: Line[] = [treeHeading(leftWidth)];
  window.rows.forEach((row, i) => left.push(treeLine(row, leftWidth, i === window.selected)));
  if (window.rows.length === 0) {
    const none =
      state.filter === ''
        ? ` no node at ${state.root} (yet)`
        : ` no node under ${state.root} matches the filter ${JSON.stringify(state.filter)}`;
    left.push([{ text: none, colour: 'gray' }]);
  }

  const right: Line[] = [...serverLines(state.servers), []];
  const panelHeight = treeHeight + 1;
  if (state.followed !== null) {
    right.push(...detailLines(state.followed, rightWidth, Math.floor(panelHeight / 2)), []);
  }
  right.push(...sessionLines(state, panelHeight - right.length));

  for (let i = 0; i < panelHeight; i++) {
    const l = fitLine(left[i] ?? [], leftWidth);
    if (rightWidth === 0) {
      lines.push(l);
    } else {
      lines.push([...l, { text: ' │ ', colour: 'gray' }, ...fitLine(right[i] ?? [], rightWidth)]);
    }
  }

  // Too narrow for the panels: the servers and sessions in a few words, beside the heading.
  const heading = rightWidth === 0 ? ` Events   ${ensembleSummary(state)}` : ' Events';
  lines.push([{ text: fit(heading, cols), bold: true }]);
  const log = state.log(logHeight);
  for (let i = 0; i < logHeight; i++) {
    const entry = log[i];
    lines.push(entry === undefined ? [{ text: ' '.repeat(cols) }] : logLine(entry, cols));
  }

  // Most urgent first: a narrow terminal cuts the end of the line.
  const status: Line = [
    {
      text: ` ${state.connection} `,
      colour: state.connection.startsWith('CONNECTED') ? 'green' : 'red',
    },
  ];
  if (state.behind > 0) {
    status.push({
      text: ` falling behind: ${state.behind} events queued `,
      colour: 'red',
      bold: true,
    });
  }
  if (state.loading) status.push({ text: ' reading the subtree… ', colour: 'yellow' });
  status.push({ text: ` ${state.nodeCount} nodes  ${state.eventsPerSecond.toFixed(1)} events/s ` });
  if (state.filter !== '' && !state.editingFilter) {
    status.push({ text: ` filter: ${state.filter} ` });
  }
  lines.push(fitLine(status, cols));
  lines.push(
    fitLine(
      state.editingFilter
        ? [{ text: ` filter: ${state.filter}▏  (Enter keeps it, Esc clears it)`, bold: true }]
        : [
            {
              text: ' ↑↓/jk move  →/Enter expand  ← collapse  f follow  / filter  Esc clear  q quit',
              colour: 'gray',
            },
          ],
      cols,
    ),
  );
  return lines;
}

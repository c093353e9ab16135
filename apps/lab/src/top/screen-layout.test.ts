import { statOf } from './__tests__/stat-fixture';
import { layoutScreen, type Line, type ScreenState } from './screen-layout';
import { TreeWindow } from './tree-window';
import { ZnodeTree } from './znode-tree';

function stateOf(tree: ZnodeTree, cols: number, rows: number): ScreenState {
  const window = new TreeWindow();
  window.select(tree.root);
  return {
    cols,
    rows,
    root: tree.root,
    connectString: '127.0.0.1:2181',
    tree: (height) => window.window(tree.rows(), height),
    nodeCount: tree.size,
    servers: [
      { server: '127.0.0.1:2181', up: true, mode: 'leader', zxid: '0x1', problem: null },
      { server: '127.0.0.1:2182', up: false, mode: null, zxid: null, problem: 'ECONNREFUSED' },
    ],
    sessions: tree.sessions(),
    ownSession: 1n,
    log: () => [],
    connection: 'CONNECTED session 0x1',
    eventsPerSecond: 0,
    loading: false,
    behind: 0,
    filter: '',
    editingFilter: false,
    followed: null,
  };
}

const text = (line: Line) => line.map((s) => s.text).join('');

describe('layoutScreen: the screen as lines', () => {
  const tree = new ZnodeTree({ root: '/app', now: () => 0 });
  tree.upsert('/app', statOf(1n), null, false);
  tree.upsert('/app/made', statOf(2n), Buffer.from('x'), true);
  tree.upsert('/app/eph', statOf(3n, { ephemeralOwner: 0xabcn }), null, false);

  it.each([
    [120, 40],
    [80, 24],
    [200, 60],
  ])('fills a %i x %i terminal with rows - 1 lines of exactly its width', (cols, rows) => {
    const lines = layoutScreen(stateOf(tree, cols, rows));
    expect(lines).toHaveLength(rows - 1);
    for (const line of lines) expect(text(line)).toHaveLength(cols);
  });

  it('colours a created row green and marks it +; names an ephemeral node its session', () => {
    const lines = layoutScreen(stateOf(tree, 120, 40));
    const made = lines.find((line) => text(line).includes(' made '));
    expect(made?.[0]).toMatchObject({ colour: 'green' });
    expect(text(made ?? [])).toMatch(/^\+/);
    expect(lines.some((line) => /eph\s+eph\s+0\s+0\s+0 0xabc/.test(text(line)))).toBe(true);
    expect(lines.some((line) => text(line).includes('0xabc 1 node(s)'))).toBe(true);
    expect(lines.some((line) => text(line).includes('127.0.0.1:2182 down (ECONNREFUSED)'))).toBe(
      true,
    );
  });

  it('says when it falls behind, and sums up the servers where the panels do not fit', () => {
    const state = { ...stateOf(tree, 80, 24), behind: 321 };
    const screen = layoutScreen(state).map(text).join('\n');
    expect(screen).toContain('falling behind: 321 events queued');
    expect(screen).toContain('servers 1/2, leader 127.0.0.1:2181, 1 sessions with ephemerals');
  });
});

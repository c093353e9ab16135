/** The commands over a whole subtree: tree, find, grep, du, count. */
import { NoNodeError } from '@zk-lab/zk-client';
import { numberFlag, type ParsedArgs, textFlag } from '../command-line';
import type { CommandSpec, ShellContext } from '../command-spec';
import { UsageError } from '../shell-errors';
import { nodeKind, ownerOf } from '../stat-format';
import { columns } from '../text-columns';
import { walkTree, type VisitedNode } from '../tree-walk';
import { baseName } from '../znode-paths';

const depthFlag = {
  name: 'depth',
  short: 'd',
  value: 'number' as const,
  valueName: 'DEPTH',
  help: 'go at most this many levels down',
};

function depthOf(args: ParsedArgs, fallback?: number): number | undefined {
  const depth = numberFlag(args, 'depth') ?? fallback;
  if (depth !== undefined && depth < 0) throw new UsageError('--depth must be 0 or more');
  return depth;
}

const tree: CommandSpec = {
  name: 'tree',
  usage: '[-d DEPTH] [PATH]',
  summary: 'the subtree drawn, each node with its child count; a total at the end',
  flags: [depthFlag],
  args: [0, 1],
  async run(shell, args) {
    const root = shell.resolve(args.positional[0]);
    const maxDepth = depthOf(args);
    const nodes = await walkTree(shell.client, root, { maxDepth, signal: shell.signal });
    const byPath = new Map(nodes.map((n) => [n.path, n]));
    const lines: string[] = [];
    const draw = (node: VisitedNode, prefix: string, last: boolean): void => {
      const hidden = byPath.has(childPath(node, node.children[0])) ? '' : ' …';
      const count = node.children.length > 0 ? ` [${node.children.length}${hidden}]` : '';
      const kind = nodeKind(node.stat) === 'persistent' ? '' : ` (${nodeKind(node.stat)})`;
      const name = node.depth === 0 ? node.path : baseName(node.path);
      lines.push(
        `${prefix}${node.depth === 0 ? '' : last ? '└── ' : '├── '}${name}${count}${kind}`,
      );
      const shown = node.children.map((c) => byPath.get(childPath(node, c))).filter(isNode);
      const inner = node.depth === 0 ? '' : prefix + (last ? '    ' : '│   ');
      shown.forEach((child, i) => draw(child, inner, i === shown.length - 1));
    };
    const top = byPath.get(root);
    if (top !== undefined) draw(top, '', true);
    const levels = nodes.reduce((deepest, n) => Math.max(deepest, n.depth), 0) + 1;
    lines.push(`${nodes.length} nodes, ${levels} levels`);
    shell.out.result(
      nodes.map((n) => ({ path: n.path, depth: n.depth, children: n.children.length })),
      () => lines,
    );
  },
};

function childPath(node: VisitedNode, name: string | undefined): string {
  return name === undefined ? '' : node.path === '/' ? `/${name}` : `${node.path}/${name}`;
}

function isNode(node: VisitedNode | undefined): node is VisitedNode {
  return node !== undefined;
}

/** A shell glob (`*`, `?`, `[abc]`) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const c of glob) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[' || c === ']') source += c;
    else source += c.replace(/[.+^${}()|\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const find: CommandSpec = {
  name: 'find',
  usage: '[-n GLOB] [-d DEPTH] [--ephemeral] [PATH]',
  summary: 'the paths under a node whose name matches a glob',
  flags: [
    {
      name: 'name',
      short: 'n',
      value: 'text',
      valueName: 'GLOB',
      help: "the name's glob: 'lock-*'",
    },
    depthFlag,
    { name: 'ephemeral', short: 'e', help: 'ephemeral nodes only' },
  ],
  args: [0, 1],
  async run(shell, args) {
    const root = shell.resolve(args.positional[0]);
    const glob = textFlag(args, 'name');
    const pattern = glob === undefined ? null : globToRegExp(glob);
    const nodes = await walkTree(shell.client, root, {
      maxDepth: depthOf(args),
      signal: shell.signal,
    });
    const found = nodes
      .filter((n) => pattern === null || pattern.test(baseName(n.path)))
      .filter((n) => !args.flags.has('ephemeral') || nodeKind(n.stat) === 'ephemeral')
      .map((n) => n.path)
      .sort();
    shell.out.result(found, () => found);
  },
};

const grep: CommandSpec = {
  name: 'grep',
  usage: '[-i] [-E] [-l] TEXT [PATH]',
  summary: 'the nodes under a node whose data holds TEXT, with each matching line',
  flags: [
    { name: 'ignore-case', short: 'i', help: 'ignore case' },
    { name: 'regexp', short: 'E', help: 'TEXT is a regular expression' },
    { name: 'files-with-matches', short: 'l', help: 'print only the paths' },
  ],
  args: [1, 2],
  pathArgs: [1],
  async run(shell, args) {
    const text = args.positional[0] ?? '';
    const root = shell.resolve(args.positional[1]);
    const flags = args.flags.has('ignore-case') ? 'i' : '';
    let pattern: RegExp;
    try {
      const source = args.flags.has('regexp') ? text : text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      pattern = new RegExp(source, flags);
    } catch {
      throw new UsageError(`grep: bad regular expression ${JSON.stringify(text)}`);
    }
    const nodes = await walkTree(shell.client, root, { signal: shell.signal });
    const withData = nodes.filter((n) => n.stat.dataLength > 0);
    const matches: { path: string; lines: string[] }[] = [];
    for (let i = 0; i < withData.length; i += 256) {
      shell.signal.throwIfAborted();
      const chunk = withData.slice(i, i + 256);
      const datas = await Promise.all(chunk.map((n) => dataOrNull(shell, n.path)));
      chunk.forEach((node, k) => {
        const lines = (datas[k] ?? '').split('\n').filter((line) => pattern.test(line));
        if (lines.length > 0) matches.push({ path: node.path, lines });
      });
    }
    matches.sort((a, b) => (a.path < b.path ? -1 : 1));
    shell.out.result(matches, () =>
      args.flags.has('files-with-matches')
        ? matches.map((m) => m.path)
        : matches.flatMap((m) => m.lines.map((line) => `${m.path}: ${line}`)),
    );
  },
};

async function dataOrNull(shell: ShellContext, path: string): Promise<string | null> {
  try {
    return (await shell.client.getData(path)).data.toString('utf8');
  } catch (error) {
    if (error instanceof NoNodeError) return null;
    throw error;
  }
}

const du: CommandSpec = {
  name: 'du',
  usage: '[-d DEPTH] [PATH]',
  summary: 'data bytes and node counts of each subtree, down to DEPTH (default 1)',
  flags: [depthFlag],
  args: [0, 1],
  async run(shell, args) {
    const root = shell.resolve(args.positional[0]);
    const shownDepth = depthOf(args, 1) ?? 1;
    const nodes = await walkTree(shell.client, root, { signal: shell.signal });
    const totals = new Map<string, { bytes: number; nodes: number; ephemerals: number }>();
    // Deepest first, so each node's total is complete before its parent adds it.
    for (const node of [...nodes].reverse()) {
      const own = totals.get(node.path) ?? { bytes: 0, nodes: 0, ephemerals: 0 };
      own.bytes += node.stat.dataLength;
      own.nodes += 1;
      own.ephemerals += ownerOf(node.stat) === '' ? 0 : 1;
      totals.set(node.path, own);
      if (node.depth === 0) continue;
      const parent = node.path.slice(0, node.path.lastIndexOf('/')) || '/';
      const up = totals.get(parent) ?? { bytes: 0, nodes: 0, ephemerals: 0 };
      up.bytes += own.bytes;
      up.nodes += own.nodes;
      up.ephemerals += own.ephemerals;
      totals.set(parent, up);
    }
    const rows = nodes
      .filter((n) => n.depth <= shownDepth)
      .map((n) => ({ path: n.path, ...totals.get(n.path)! }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    shell.out.result(rows, () =>
      columns(
        [
          ['BYTES', 'NODES', 'EPHEMERAL', 'PATH'],
          ...rows.map((r) => [String(r.bytes), String(r.nodes), String(r.ephemerals), r.path]),
        ],
        new Set([0, 1, 2]),
      ),
    );
  },
};

const count: CommandSpec = {
  name: 'count',
  usage: '[PATH]',
  summary: 'how many nodes are under a node, at every depth (one request)',
  flags: [],
  args: [0, 1],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const descendants = await shell.client.getAllChildrenNumber(path);
    shell.out.result({ path, descendants }, () => `${descendants} nodes under ${path}`);
  },
};

export const subtreeCommands: CommandSpec[] = [tree, find, grep, du, count];

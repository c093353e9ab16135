/** The commands on single nodes: ls, stat, get, create, set, rm, rmr. */
import { readFileSync } from 'node:fs';
import { BadVersionError, CreateMode, NoNodeError, type Stat } from '@zk-lab/zk-client';
import { numberFlag, type ParsedArgs, textFlag } from '../command-line';
import type { CommandSpec, ShellContext } from '../command-spec';
import { chooseEncoding, dataAsJson, type DataEncoding, formatData } from '../data-format';
import { RefusedError, UsageError } from '../shell-errors';
import { isoTime, nodeKind, ownerOf, statJson, statRows } from '../stat-format';
import { columns } from '../text-columns';
import { joinPath, parentOf } from '../znode-paths';

/** rmr asks before deleting more nodes than this. */
export const RMR_ASK_ABOVE = 10;

const ls: CommandSpec = {
  name: 'ls',
  usage: '[-l] [PATH]',
  summary: 'list the children of a node (sorted); -l: kind, version, children, size, owner, mtime',
  flags: [{ name: 'long', short: 'l', help: 'one line of details per child' }],
  args: [0, 1],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const names = (await shell.client.getChildren(path)).sort();
    if (!args.flags.has('long')) {
      shell.out.result(names, () => names);
      return;
    }
    const stats = await Promise.all(names.map((n) => shell.client.exists(joinPath(path, n))));
    const rows = names.flatMap((name, i) => {
      const stat = stats[i];
      return stat ? [{ name, stat }] : []; // deleted meanwhile
    });
    shell.out.result(
      rows.map(({ name, stat }) => ({ name, ...statJson(stat) })),
      () =>
        columns(
          [
            ['KIND', 'VERSION', 'CHILDREN', 'BYTES', 'OWNER', 'MTIME', 'NAME'],
            ...rows.map(({ name, stat }) => [
              nodeKind(stat),
              String(stat.version),
              String(stat.numChildren),
              String(stat.dataLength),
              ownerOf(stat) || '-',
              isoTime(stat.mtime),
              name,
            ]),
          ],
          new Set([1, 2, 3]),
        ),
    );
  },
};

const stat: CommandSpec = {
  name: 'stat',
  usage: '[--explain] [PATH]',
  summary: "a node's Stat; --explain says what each field means",
  flags: [{ name: 'explain', short: 'x', help: 'explain each field' }],
  args: [0, 1],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    // exists needs no permission on the node, so stat works where get is refused.
    const stat = await shell.client.exists(path);
    if (stat === null) throw new NoNodeError({ op: 'exists', path });
    printStat(shell, path, stat, args.flags.has('explain'));
  },
};

function printStat(shell: ShellContext, path: string, stat: Stat, explain: boolean): void {
  shell.out.result({ path, ...statJson(stat) }, () =>
    columns(
      statRows(stat).map((r) => (explain ? [r.name, r.value, r.meaning] : [r.name, r.value])),
    ),
  );
}

const encodingFlags = [
  { name: 'utf8', help: 'show the data as UTF-8 text' },
  { name: 'json', help: 'show the data as indented JSON' },
  { name: 'hex', help: 'show the data as a hex dump' },
];

const get: CommandSpec = {
  name: 'get',
  aliases: ['cat'],
  usage: '[--utf8|--json|--hex] [-s] PATH',
  summary: "a node's data: pretty JSON, text or a hex dump, chosen by content or flag",
  flags: [...encodingFlags, { name: 'stat', short: 's', help: 'print the Stat after the data' }],
  args: [1, 1],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const asked = encodingFlags.filter((f) => args.flags.has(f.name));
    if (asked.length > 1) throw new UsageError('get: give one of --utf8, --json, --hex');
    const { data, stat } = await shell.client.getData(path);
    const encoding = (asked[0]?.name as DataEncoding | undefined) ?? chooseEncoding(data);
    if (encoding === 'json' && chooseEncoding(data) !== 'json') {
      throw new RefusedError(path, 'the data is not a JSON object or array');
    }
    shell.out.result(
      { path, encoding, data: dataAsJson(data, encoding), stat: statJson(stat) },
      () => {
        const lines = data.length === 0 ? [] : [formatData(data, encoding)];
        if (args.flags.has('stat'))
          lines.push(...statRows(stat).map((r) => `${r.name} = ${r.value}`));
        return lines;
      },
    );
  },
};

const fileFlag = {
  name: 'file',
  value: 'text' as const,
  valueName: 'FILE',
  help: "the data is this local file's bytes",
};

/** The data argument at `index`, or the bytes of --file; undefined when neither is given. */
function dataOf(command: string, args: ParsedArgs, index: number): Buffer | string | undefined {
  const file = textFlag(args, 'file');
  const text = args.positional[index];
  if (file === undefined) return text;
  if (text !== undefined) throw new UsageError(`${command}: give the data or --file, not both`);
  try {
    return readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`${command}: cannot read ${file}: ${reason}`);
  }
}

const create: CommandSpec = {
  name: 'create',
  usage: '[-e] [-s] [-c] [-t MS] [-p] PATH [DATA | --file FILE]',
  summary: 'create a node and print its path',
  flags: [
    { name: 'ephemeral', short: 'e', help: 'deleted when this session ends' },
    { name: 'sequential', short: 's', help: 'a 10-digit counter is appended to the name' },
    { name: 'container', short: 'c', help: 'deleted by the server once its last child goes' },
    {
      name: 'ttl',
      short: 't',
      value: 'number',
      valueName: 'MS',
      help: 'deleted after MS ms without change',
    },
    { name: 'parents', short: 'p', help: 'create missing parents (persistent, empty)' },
    fileFlag,
  ],
  args: [1, 2],
  writes: true,
  pathArgs: [0],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const mode = createMode(args);
    const ttlMs = numberFlag(args, 'ttl');
    if (args.flags.has('parents')) await shell.client.ensurePath(parentOf(path));
    const created = await shell.client
      .createWithStat(path, dataOf('create', args, 1) ?? '', {
        mode,
        ...(ttlMs === undefined ? {} : { ttlMs }),
      })
      .catch((error: unknown) => {
        // Create fails with NoNode for one reason only: the parent is missing.
        if (!(error instanceof NoNodeError)) throw error;
        throw new RefusedError(path, `no parent node ${parentOf(path)} (-p creates it)`);
      });
    shell.out.result({ path: created.path, ...statJson(created.stat) }, () => created.path);
  },
};

function createMode(args: ParsedArgs): CreateMode {
  const has = (name: string): boolean => args.flags.has(name);
  const kinds = ['ephemeral', 'container', 'ttl'].filter(has);
  if (kinds.length > 1) {
    throw new UsageError(`create: -e, -c and -t exclude each other (got ${kinds.join(', ')})`);
  }
  if (has('container') && has('sequential')) {
    throw new UsageError('create: a container cannot be sequential');
  }
  const ttl = numberFlag(args, 'ttl');
  if (ttl !== undefined && ttl <= 0) throw new UsageError('create: -t needs a TTL above 0 ms');
  const sequential = has('sequential');
  if (has('ephemeral')) {
    return sequential ? CreateMode.EPHEMERAL_SEQUENTIAL : CreateMode.EPHEMERAL;
  }
  if (has('container')) return CreateMode.CONTAINER;
  if (ttl !== undefined) {
    return sequential ? CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL : CreateMode.PERSISTENT_WITH_TTL;
  }
  return sequential ? CreateMode.PERSISTENT_SEQUENTIAL : CreateMode.PERSISTENT;
}

const versionFlag = {
  name: 'version',
  short: 'v',
  value: 'number' as const,
  valueName: 'VERSION',
  help: 'only if the node is at this version',
};

const set: CommandSpec = {
  name: 'set',
  usage: '[-v VERSION] PATH DATA | --file FILE',
  summary: "set a node's data; prints the new version",
  flags: [versionFlag, fileFlag],
  args: [1, 2],
  writes: true,
  pathArgs: [0],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const data = dataOf('set', args, 1);
    if (data === undefined) throw new UsageError('usage: set [-v VERSION] PATH DATA | --file FILE');
    const stat = await shell.client.setData(path, data, numberFlag(args, 'version') ?? -1);
    shell.out.result({ path, version: stat.version }, () => `${path}: version ${stat.version}`);
  },
};

const rm: CommandSpec = {
  name: 'rm',
  aliases: ['delete'],
  usage: '[-v VERSION] PATH...',
  summary: 'delete nodes without children',
  flags: [versionFlag],
  args: [1, Number.POSITIVE_INFINITY],
  writes: true,
  async run(shell, args) {
    const version = numberFlag(args, 'version') ?? -1;
    const deleted: string[] = [];
    for (const arg of args.positional) {
      const path = shell.resolve(arg);
      await shell.client.delete(path, version);
      deleted.push(path);
    }
    shell.out.result({ deleted }, () => []);
  },
};

const rmr: CommandSpec = {
  name: 'rmr',
  aliases: ['deleteall'],
  usage: '[-f] [-v VERSION] PATH',
  summary: `delete a subtree; asks first when it holds more than ${RMR_ASK_ABOVE} nodes`,
  flags: [{ name: 'force', short: 'f', help: 'do not ask' }, versionFlag],
  args: [1, 1],
  writes: true,
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    if (path === '/') throw new RefusedError(path, 'the root node cannot be deleted');
    const version = numberFlag(args, 'version') ?? -1;
    const { stat, children } = await shell.client.getChildrenWithStat(path);
    if (version !== -1 && stat.version !== version) {
      throw new BadVersionError({ op: 'delete', path });
    }
    const count = 1 + (await shell.client.getAllChildrenNumber(path));
    if (count > RMR_ASK_ABOVE && !args.flags.has('force')) {
      if (!shell.canAsk) {
        throw new RefusedError(path, `${count} nodes: without a terminal to ask, pass -f`);
      }
      const question = `rmr: delete ${path} and the ${count - 1} nodes under it (${count} in all)?`;
      if (!(await shell.confirm(question))) {
        throw new RefusedError(path, 'not deleted');
      }
    }
    for (const name of children) await shell.client.deleteRecursive(joinPath(path, name));
    await shell.client.delete(path, version);
    shell.out.result({ deleted: path, nodes: count }, () => `deleted ${count} nodes`);
  },
};

export const nodeCommands: CommandSpec[] = [ls, stat, get, create, set, rm, rmr];

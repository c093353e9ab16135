/** The commands about the session and its servers: whoami, ephemerals, sync, addauth, 4lw. */
import { fourLetterWord, type FourLetterWord } from '@zk-lab/deploy';
import { textFlag } from '../command-line';
import type { CommandSpec } from '../command-spec';
import {
  addressText,
  FOUR_LETTER_WORDS,
  serverOfSession,
  serversOf,
  type ServerAddress,
} from '../ensemble-servers';
import { RefusedError, UsageError } from '../shell-errors';
import { hex } from '../stat-format';
import { walkTree } from '../tree-walk';

const whoami: CommandSpec = {
  name: 'whoami',
  usage: '',
  summary: 'the session: id, server, timeout, state, identities',
  flags: [],
  args: [0, 0],
  async run(shell) {
    const { client } = shell;
    const server = await serverOfSession(shell.connectString, client.sessionId);
    const info = {
      session: hex(client.sessionId),
      state: client.state,
      server: server === null ? null : addressText(server),
      connectString: shell.connectString,
      timeoutMs: client.negotiatedTimeoutMs,
      identities: shell.identities,
    };
    shell.out.result(info, () => [
      `session   ${info.session} (${info.state})`,
      `server    ${info.server ?? 'unknown (no server answered cons for it)'}`,
      `ensemble  ${info.connectString}`,
      `timeout   ${info.timeoutMs} ms`,
      `auth      ${info.identities.length === 0 ? 'none (world:anyone)' : info.identities.join(', ')}`,
    ]);
  },
};

const ephemerals: CommandSpec = {
  name: 'ephemerals',
  usage: '[--session 0xID] [PATH]',
  summary: "this session's ephemeral nodes, or another session's (scans the subtree); PATH: /",
  flags: [{ name: 'session', value: 'text', valueName: '0xID', help: "another session's id, 0x…" }],
  args: [0, 1],
  async run(shell, args) {
    // Unlike other commands, the whole tree by default: a session's nodes are anywhere.
    const root = shell.resolve(args.positional[0] ?? '/');
    const other = textFlag(args, 'session');
    let paths: string[];
    if (other === undefined) {
      paths = await shell.client.getEphemerals(root);
      // getEphemerals takes a string prefix: /a also matches /ab.
      paths = paths.filter((p) => root === '/' || p === root || p.startsWith(`${root}/`));
    } else {
      if (!/^0x[0-9a-f]{1,16}$/i.test(other)) {
        throw new UsageError(
          `ephemerals: --session needs a session id like 0x1000abc, not ${other}`,
        );
      }
      const owner = BigInt(other);
      const nodes = await walkTree(shell.client, root, { signal: shell.signal });
      paths = nodes
        .filter((n) => BigInt.asUintN(64, n.stat.ephemeralOwner) === owner)
        .map((n) => n.path)
        .sort();
    }
    shell.out.result(paths, () => paths);
  },
};

const sync: CommandSpec = {
  name: 'sync',
  usage: '[PATH]',
  summary: 'make the server this session is on catch up with the leader',
  flags: [],
  args: [0, 1],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    await shell.client.sync(path);
    shell.out.result({ synced: path }, () => `synced ${path}`);
  },
};

const addauth: CommandSpec = {
  name: 'addauth',
  usage: 'SCHEME CREDENTIALS',
  summary: 'prove an identity for this session: addauth digest user:password',
  flags: [],
  args: [2, 2],
  pathArgs: [],
  async run(shell, args) {
    const [scheme = '', credentials = ''] = args.positional;
    await shell.client.addAuth(scheme, credentials);
    // Only the user part is kept: the shell never shows a password again.
    const identity = `${scheme}:${credentials.split(':', 1)[0]}`;
    shell.identities.push(identity);
    shell.out.result({ added: identity }, () => `added ${identity}`);
  },
};

const fourLetters: CommandSpec = {
  name: '4lw',
  usage: `[--all] WORD`,
  summary: `a four-letter word (${FOUR_LETTER_WORDS.join(', ')}) to this session's server, or --all`,
  flags: [{ name: 'all', short: 'a', help: 'ask every server of the connect string' }],
  args: [1, 1],
  pathArgs: [],
  async run(shell, args) {
    const word = args.positional[0] ?? '';
    if (!isFourLetterWord(word)) {
      throw new UsageError(`4lw: unknown word ${word}: one of ${FOUR_LETTER_WORDS.join(', ')}`);
    }
    let servers: ServerAddress[];
    if (args.flags.has('all')) servers = serversOf(shell.connectString);
    else {
      const own = await serverOfSession(shell.connectString, shell.client.sessionId);
      if (own === null) {
        throw new RefusedError(undefined, 'no server answered cons for this session: try --all');
      }
      servers = [own];
    }
    const answers = await Promise.all(
      servers.map(async (server) => {
        const answer = await fourLetterWord(server.host, server.port, word, 2_000).then(
          (text) => text.trimEnd(),
          (error: unknown) =>
            `(no answer: ${error instanceof Error ? error.message : String(error)})`,
        );
        return { server: addressText(server), answer };
      }),
    );
    shell.out.result(answers, () =>
      answers.length === 1
        ? [answers[0]!.answer]
        : answers.flatMap((a) => [`== ${a.server} ==`, a.answer]),
    );
  },
};

function isFourLetterWord(word: string): word is FourLetterWord {
  return (FOUR_LETTER_WORDS as readonly string[]).includes(word);
}

export const sessionCommands: CommandSpec[] = [whoami, ephemerals, sync, addauth, fourLetters];

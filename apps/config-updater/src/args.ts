/**
 * The command line: one command and its options. Anything wrong here is a UsageError
 * (exit code 2), found before ZooKeeper is contacted.
 */
import { parseArgs } from 'node:util';
import {
  type ConnectionSettings,
  ConnectionSettingsError,
  type LabConfigKey,
  resolveConnection,
} from '@zk-lab/lab-core';
import { CONFIG_KEYS, isConfigKey } from './config-keys';
import { type CommandName, COMMANDS } from './help';

/** Thrown for bad command-line input: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose usage to print, when known. */
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

/** Where `set` reads the config document from. */
export type ConfigSource =
  { kind: 'file'; path: string } | { kind: 'stdin' } | { kind: 'inline'; text: string };

export interface ConfigEdit {
  key: LabConfigKey;
  value: unknown;
}

export interface ZooKeeperArgs {
  connection: ConnectionSettings;
  connectTimeoutMs: number;
}

export type ParsedArgs =
  | { command: 'help'; topic: CommandName | undefined }
  | ({ command: 'get'; json: boolean } & ZooKeeperArgs)
  | ({ command: 'set'; source: ConfigSource; expectedVersion: number | undefined } & ZooKeeperArgs)
  | ({ command: 'edit'; edits: ConfigEdit[]; expectedVersion: number | undefined } & ZooKeeperArgs)
  | ({ command: 'history'; limit: number; json: boolean } & ZooKeeperArgs);

/** The options each command takes besides the connection flags and --help. */
const COMMAND_OPTIONS: Record<CommandName, readonly string[]> = {
  get: ['json'],
  set: ['expected-version'],
  edit: ['expected-version'],
  history: ['limit', 'json'],
};
const CONNECTION_OPTIONS = ['connect', 'root', 'session-timeout', 'connect-timeout', 'help'];

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HISTORY_LIMIT = 20;

type Env = Record<string, string | undefined>;

export function parseCliArgs(argv: string[], env: Env = process.env): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        connect: { type: 'string' },
        root: { type: 'string' },
        'session-timeout': { type: 'string' },
        'connect-timeout': { type: 'string' },
        json: { type: 'boolean' },
        limit: { type: 'string' },
        'expected-version': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, commandOf(argv[0]));
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;

  if (first === undefined) {
    if (values.help === true) return { command: 'help', topic: undefined };
    throw new UsageError('no command given');
  }
  if (first === 'help') {
    if (rest.length > 1) throw new UsageError(`unexpected argument(s): ${rest.slice(1).join(' ')}`);
    const topic = rest[0];
    if (topic !== undefined && commandOf(topic) === undefined) {
      throw new UsageError(`no such command: ${topic}`);
    }
    return { command: 'help', topic: commandOf(topic) };
  }
  const command = commandOf(first);
  if (command === undefined) throw new UsageError(`unknown command: ${first}`);
  if (values.help === true) return { command: 'help', topic: command };

  const allowed = new Set([...CONNECTION_OPTIONS, ...COMMAND_OPTIONS[command]]);
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && !allowed.has(name)) {
      throw new UsageError(`\`${command}\` does not take --${name}`, command);
    }
  }

  const zooKeeper = (): ZooKeeperArgs => ({
    connection: connectionSettings(values, env, command),
    connectTimeoutMs:
      integerOption('connect-timeout', values['connect-timeout'], 100, 600_000, command) ??
      DEFAULT_CONNECT_TIMEOUT_MS,
  });
  const expectedVersion = (): number | undefined =>
    integerOption('expected-version', values['expected-version'], 0, 2 ** 31 - 1, command);

  switch (command) {
    case 'get':
      noMoreArguments(rest, command);
      return { command, json: values.json === true, ...zooKeeper() };
    case 'history':
      noMoreArguments(rest, command);
      return {
        command,
        json: values.json === true,
        limit: integerOption('limit', values.limit, 1, 1_000, command) ?? DEFAULT_HISTORY_LIMIT,
        ...zooKeeper(),
      };
    case 'set': {
      const [source, ...extra] = rest;
      if (source === undefined) {
        throw new UsageError('`set` needs a file, - (stdin) or inline JSON', command);
      }
      noMoreArguments(extra, command);
      return {
        command,
        source: configSource(source),
        expectedVersion: expectedVersion(),
        ...zooKeeper(),
      };
    }
    case 'edit':
      if (rest.length === 0) throw new UsageError('`edit` needs at least one KEY=VALUE', command);
      return {
        command,
        edits: parseEdits(rest),
        expectedVersion: expectedVersion(),
        ...zooKeeper(),
      };
  }
}

function commandOf(word: string | undefined): CommandName | undefined {
  return (COMMANDS as readonly (string | undefined)[]).includes(word)
    ? (word as CommandName)
    : undefined;
}

function noMoreArguments(extra: string[], command: CommandName): void {
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument(s): ${extra.join(' ')}`, command);
  }
}

function configSource(argument: string): ConfigSource {
  if (argument === '-') return { kind: 'stdin' };
  if (argument.trimStart().startsWith('{')) return { kind: 'inline', text: argument };
  return { kind: 'file', path: argument };
}

/** `key=value` pairs; a value that parses as JSON is taken as JSON, else as a string. */
export function parseEdits(pairs: string[]): ConfigEdit[] {
  const edits = new Map<LabConfigKey, unknown>();
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0)
      throw new UsageError(`expected KEY=VALUE, got ${JSON.stringify(pair)}`, 'edit');
    const key = pair.slice(0, equals);
    if (!isConfigKey(key)) {
      throw new UsageError(
        `unknown key ${JSON.stringify(key)}: the keys are ${CONFIG_KEYS.join(', ')}`,
        'edit',
      );
    }
    if (edits.has(key)) throw new UsageError(`${key} is given twice`, 'edit');
    edits.set(key, jsonOrString(pair.slice(equals + 1)));
  }
  return [...edits].map(([key, value]) => ({ key, value }));
}

function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function integerOption(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
  command: CommandName,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `bad --${name} ${JSON.stringify(raw)}: expected an integer ${min} to ${max}`,
      command,
    );
  }
  return value;
}

function connectionSettings(
  values: { connect?: string; root?: string; 'session-timeout'?: string },
  env: Env,
  command: CommandName,
): ConnectionSettings {
  try {
    return resolveConnection(
      { connect: values.connect, root: values.root, sessionTimeoutMs: values['session-timeout'] },
      env,
    );
  } catch (error) {
    if (error instanceof ConnectionSettingsError) throw new UsageError(error.message, command);
    throw error;
  }
}

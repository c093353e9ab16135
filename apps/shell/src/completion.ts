/**
 * Tab completion for node:readline: command names first, then the command's flags, then
 * live paths (the children ZooKeeper has now, relative to the working node).
 */
import type { ZkClient } from '@zk-lab/zk-client';
import { splitPartial } from './command-line';
import { commandNames, findCommand } from './command-table';
import type { CommandSpec } from './command-spec';
import { joinPath, resolvePath } from './znode-paths';

/** How long a completion may wait for ZooKeeper before it offers nothing. */
const LOOKUP_TIMEOUT_MS = 2_000;

export type Completion = [completions: string[], word: string];

export async function complete(client: ZkClient, cwd: string, line: string): Promise<Completion> {
  const { words, atNewWord } = splitPartial(line);
  const word = atNewWord ? '' : (words[words.length - 1] ?? '');
  const before = atNewWord ? words : words.slice(0, -1);
  if (before.length === 0) return [commandNames().filter((n) => n.startsWith(word)), word];
  const command = findCommand(before[0] ?? '');
  if (command === undefined) return [[], word];
  if (word.startsWith('-')) return [flagNames(command).filter((f) => f.startsWith(word)), word];
  if (command.name === 'help') return [commandNames().filter((n) => n.startsWith(word)), word];
  const position = positionalIndex(command, before.slice(1));
  const pathArgs = command.pathArgs;
  if (pathArgs !== undefined && !pathArgs.includes(position)) return [[], word];
  return [await childPaths(client, cwd, word), word];
}

function flagNames(command: CommandSpec): string[] {
  return command.flags.map((f) => `--${f.name}`).sort();
}

/** Which positional argument the next word is, skipping flags and their values. */
function positionalIndex(command: CommandSpec, words: string[]): number {
  let position = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-') || word === '-') {
      position++;
      continue;
    }
    const long = word.startsWith('--') ? word.slice(2) : null;
    const spec = command.flags.find((f) =>
      long === null ? f.short === word[word.length - 1] : f.name === long,
    );
    if (spec?.value !== undefined && !word.includes('=')) i++;
  }
  return position;
}

/** The paths that complete `word`: its parent's children whose name starts with its last part. */
async function childPaths(client: ZkClient, cwd: string, word: string): Promise<string[]> {
  const slash = word.lastIndexOf('/');
  const typedParent = slash < 0 ? '' : word.slice(0, slash + 1);
  const prefix = word.slice(slash + 1);
  const parent = resolvePath(cwd, typedParent === '' ? '.' : typedParent);
  try {
    const names = await client.getChildren(parent, { timeoutMs: LOOKUP_TIMEOUT_MS });
    const matches = names.filter((n) => n.startsWith(prefix)).sort();
    if (matches.length !== 1) return matches.map((n) => typedParent + n);
    const only = matches[0]!;
    // A single match with children gets its slash, so the next Tab goes on down.
    const stat = await client.exists(joinPath(parent, only), { timeoutMs: LOOKUP_TIMEOUT_MS });
    return [typedParent + only + (stat !== null && stat.numChildren > 0 ? '/' : '')];
  } catch {
    // No such parent, no answer in time, no permission: nothing to offer.
    return [];
  }
}

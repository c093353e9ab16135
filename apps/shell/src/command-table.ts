/** Every command of the shell, found by name or alias, and the help made from them. */
import type { CommandSpec } from './command-spec';
import { aclCommands } from './commands/acl-commands';
import { navigationCommands } from './commands/navigation-commands';
import { nodeCommands } from './commands/node-commands';
import { sessionCommands } from './commands/session-commands';
import { subtreeCommands } from './commands/subtree-commands';
import { watchCommand } from './commands/watch-command';
import { UsageError } from './shell-errors';
import type { ShellOutput } from './shell-output';
import { columns } from './text-columns';

const help: CommandSpec = {
  name: 'help',
  usage: '[COMMAND]',
  summary: 'the commands, or one command with its flags',
  flags: [],
  args: [0, 1],
  pathArgs: [],
  run(shell, args) {
    printHelp(shell.out, args.positional[0]);
    return Promise.resolve();
  },
};

export const COMMANDS: readonly CommandSpec[] = [
  ...nodeCommands,
  ...subtreeCommands,
  watchCommand,
  ...aclCommands,
  ...sessionCommands,
  ...navigationCommands,
  help,
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

export function commandOrUsage(name: string): CommandSpec {
  const command = findCommand(name);
  if (command === undefined) throw new UsageError(`${name}: unknown command (help lists them)`);
  return command;
}

/** Every name a command answers to, for completion. */
export function commandNames(): string[] {
  return COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]).sort();
}

/** The command list, or one command's help, as JSON or text. */
export function printHelp(out: ShellOutput, name: string | undefined): void {
  const about = (c: CommandSpec) => ({ name: c.name, usage: c.usage, summary: c.summary });
  const value =
    name === undefined
      ? COMMANDS.map(about)
      : { ...about(commandOrUsage(name)), help: commandHelp(name) };
  out.result(value, () => (name === undefined ? commandList() : commandHelp(name)));
}

export function commandList(): string[] {
  return columns(
    COMMANDS.map((c) => {
      const aliases = c.aliases === undefined ? '' : ` (${c.aliases.join(', ')})`;
      return [`${c.name}${aliases}`, c.summary];
    }),
  );
}

export function commandHelp(name: string): string[] {
  const command = commandOrUsage(name);
  const lines = [`${command.name} ${command.usage}`.trimEnd(), `  ${command.summary}`];
  if (command.aliases !== undefined) lines.push(`  also: ${command.aliases.join(', ')}`);
  if (command.writes === true) lines.push('  a write: refused under --read-only');
  if (command.flags.length > 0) {
    lines.push('flags:');
    const rows = command.flags.map((f) => {
      const value =
        f.value === undefined ? '' : ` ${f.valueName ?? (f.value === 'number' ? 'N' : 'TEXT')}`;
      const names = [f.short === undefined ? null : `-${f.short}`, `--${f.name}`];
      return [`  ${names.filter((n) => n !== null).join(', ')}${value}`, f.help];
    });
    lines.push(...columns(rows));
  }
  return lines;
}

/**
 * `npm run zk`: the one-shot command, the script from stdin, or the interactive shell, by
 * what was given and whether stdin is a terminal.
 */
import { createInterface } from 'node:readline';
import type { ZkClient } from '@zk-lab/zk-client';
import { commandList, printHelp } from './command-table';
import { runInteractive } from './interactive-shell';
import { runScript } from './script-runner';
import { Shell } from './shell';
import { announceStates, connectShell, shellConnection } from './shell-connection';
import { errorLine, EXIT_OK, EXIT_USAGE, exitCodeOf, UsageError } from './shell-errors';
import { parseShellFlags, SHELL_USAGE } from './shell-options';
import { processSink, ShellOutput } from './shell-output';

export async function runShell(argv: string[]): Promise<number> {
  let client: ZkClient | undefined;
  try {
    const flags = parseShellFlags(argv);
    if (flags.help) {
      for (const line of [...SHELL_USAGE, '', 'commands:', ...commandList()]) processSink.out(line);
      return EXIT_OK;
    }
    if (flags.command[0] === 'help') {
      // Help needs no ZooKeeper.
      printHelp(new ShellOutput(processSink, flags.json), flags.command[1]);
      return EXIT_OK;
    }
    const connection = shellConnection(flags);
    client = await connectShell(connection, flags.connectTimeoutMs);
    const interactive = flags.command.length === 0 && process.stdin.isTTY === true;
    if (interactive) {
      return await runInteractive({
        client,
        connectString: connection.connectString,
        json: flags.json,
        readOnly: flags.readOnly,
      });
    }
    const out = new ShellOutput(processSink, flags.json);
    announceStates(client, (line) => out.notice(line));
    const shell = new Shell({
      client,
      out,
      connectString: connection.connectString,
      readOnly: flags.readOnly,
      canAsk: flags.command.length > 0 && process.stdin.isTTY === true,
      confirm: askOnTerminal,
    });
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    process.once('SIGINT', onSigint);
    try {
      if (flags.command.length > 0) return await shell.runWords(flags.command, interrupt.signal);
      return await runScript(shell, process.stdin, {
        keepGoing: flags.keepGoing,
        signal: interrupt.signal,
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  } catch (error) {
    const line = errorLine('zk', error);
    processSink.err(error instanceof UsageError ? `zk: ${line}` : line);
    const code = exitCodeOf(error);
    if (code === EXIT_USAGE) processSink.err('(npm run zk -- --help shows the usage)');
    return code;
  } finally {
    // Ends the session at once: its ephemeral nodes go now, not after the timeout.
    await client?.close();
  }
}

function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(`${question} [y/N] `, (line) => {
      rl.close();
      resolve(/^y(es)?$/i.test(line.trim()));
    });
  });
}

/** One command line, run: dispatch, and every error turned into a message and an exit code. */
import type { Readable } from 'node:stream';
import {
  InvalidConfigError,
  InvalidCredentialsError,
  NotAuthorizedError,
  ZooKeeperUnreachableError,
} from '@zk-lab/lab-core';
import { ConnectionLossError, NoAuthError, SessionExpiredError, ZkError } from '@zk-lab/zk-client';
import { withConfigStore } from './admin-connection';
import { type ParsedArgs, parseCliArgs, UsageError } from './args';
import { editConfig, UneditableConfigError } from './commands/edit';
import { getConfig } from './commands/get';
import { showHistory } from './commands/history';
import { ConfigSourceError, loadConfigDocument, setConfig } from './commands/set';
import { ConfigConflictError } from './config-store';
import { indentLines } from './diff-format';
import { commandHelp, TOOL_HELP } from './help';
import type { Output } from './output';

export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], io: Output, stdin: Readable): Promise<number> {
  try {
    await run(parseCliArgs(argv), io, stdin);
    return EXIT.ok;
  } catch (error) {
    return report(error, io);
  }
}

async function run(args: ParsedArgs, io: Output, stdin: Readable): Promise<void> {
  switch (args.command) {
    case 'help':
      io.out(args.topic === undefined ? TOOL_HELP : commandHelp(args.topic));
      return;
    case 'get':
      return withConfigStore(args, (store) => getConfig(store, args.json, io));
    case 'set': {
      // Validated before connecting: a bad document never reaches ZooKeeper.
      const config = await loadConfigDocument(args.source, stdin);
      return withConfigStore(args, (store) => setConfig(store, config, args.expectedVersion, io));
    }
    case 'edit':
      return withConfigStore(args, (store) =>
        editConfig(store, args.edits, args.expectedVersion, io),
      );
    case 'history':
      return withConfigStore(args, (store) => showHistory(store, args.limit, args.json, io));
  }
}

function report(error: unknown, io: Output): number {
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}\n`);
    io.err(error.command === undefined ? TOOL_HELP : commandHelp(error.command));
    return EXIT.badInput;
  }
  if (error instanceof InvalidConfigError) {
    io.err(`error: invalid config, nothing written. Problems:\n${indentLines(error.detail)}`);
    return EXIT.badInput;
  }
  if (error instanceof ConfigSourceError || error instanceof InvalidCredentialsError) {
    io.err(`error: ${error.message}`);
    return EXIT.badInput;
  }
  if (error instanceof NoAuthError) {
    io.err(
      `error: ZooKeeper refused the admin credentials for ${error.path ?? 'the namespace'} ` +
        '(NoAuth): set ZK_ADMIN_AUTH to the admin identity (user:password)',
    );
    return EXIT.failed;
  }
  if (error instanceof NotAuthorizedError) {
    // Found at connect, before any write: an identity the root does not grant is refused
    // for /config too.
    io.err(
      `error: ZooKeeper refused the admin credentials of user "${error.user}" for /config: ` +
        `they may not write ${error.root} (a wrong password, or a namespace made with other ` +
        'credentials): set ZK_ADMIN_AUTH to the admin identity (user:password)',
    );
    return EXIT.failed;
  }
  if (error instanceof ConnectionLossError || error instanceof SessionExpiredError) {
    io.err(
      `error: lost the connection to ZooKeeper (${error.message}); ` +
        'a write may or may not have been applied: run `get` to see',
    );
    return EXIT.failed;
  }
  if (
    error instanceof ConfigConflictError ||
    error instanceof ZooKeeperUnreachableError ||
    error instanceof UneditableConfigError ||
    error instanceof ZkError
  ) {
    io.err(`error: ${error.message}`);
    return EXIT.failed;
  }
  io.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.failed;
}

#!/usr/bin/env node
import { runShell } from './shell-main';
import { EXIT_FAILED } from './shell-errors';

// No stack trace ever reaches the user: whatever escapes is one line and exit code 1.
const lastResort = (error: unknown): void => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`zk: internal error: ${message.split('\n', 1)[0]}\n`);
  process.exit(EXIT_FAILED);
};
process.on('uncaughtException', lastResort);
process.on('unhandledRejection', lastResort);
// A reader that went away (`npm run zk -- find / | head`) ends the shell quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  lastResort(error);
});

void runShell(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

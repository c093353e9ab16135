#!/usr/bin/env node
import { runShell } from './shell-main';

void runShell(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

#!/usr/bin/env node
import { runCli } from './cli';
import { processOutput } from './output';

void runCli(process.argv.slice(2), processOutput, process.stdin).then((code) => {
  process.exitCode = code;
});

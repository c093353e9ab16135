#!/usr/bin/env node
import { interruptedExitCode, type ProducerIo, runProducer } from './producer';

const io: ProducerIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  progress: process.stderr,
};

// The first Ctrl+C (or SIGTERM) stops the run cleanly: nothing more is sent, the creates in
// flight finish, and the run says how far it got. A second one exits at once.
const interruption = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interruption.signal.aborted) process.exit(interruptedExitCode(interruption.signal));
    interruption.abort(signal);
  });
}

void runProducer(process.argv.slice(2), io, interruption.signal).then((code) => {
  process.exitCode = code;
});

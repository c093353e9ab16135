/**
 * A script on stdin: one command a line, run in order. The first failing line stops the
 * script (its exit code is the script's) unless --keep-going, when every line runs and the
 * first failure's code is still the script's.
 */
import { createInterface } from 'node:readline';
import type { Shell } from './shell';
import { EXIT_OK } from './shell-errors';

export async function runScript(
  shell: Shell,
  input: NodeJS.ReadableStream,
  options: { keepGoing: boolean; signal: AbortSignal },
): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  let result = EXIT_OK;
  for await (const line of lines) {
    number++;
    const code = await shell.runLine(line, options.signal, `line ${number}: `);
    if (code !== EXIT_OK && result === EXIT_OK) result = code;
    if ((code !== EXIT_OK && !options.keepGoing) || shell.exitRequested || options.signal.aborted) {
      break;
    }
  }
  lines.close();
  return result;
}

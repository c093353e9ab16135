/**
 * The interactive shell on a terminal: node:readline as the line editor (Tab completion of
 * live paths, history kept in a file), a prompt that shows the connection state and the
 * working node, Ctrl+C that stops the running command (or clears the line), Ctrl-D or quit
 * to leave. Connection changes are announced on one line as they happen.
 */
import { createInterface, type Interface } from 'node:readline';
import type { ZkClient } from '@zk-lab/zk-client';
import { complete } from './completion';
import { HISTORY_SIZE, HistoryFile, historyPath } from './history-file';
import { Shell } from './shell';
import { announceStates } from './shell-connection';
import { EXIT_OK } from './shell-errors';
import { ShellOutput } from './shell-output';

export interface InteractiveOptions {
  client: ZkClient;
  connectString: string;
  json: boolean;
  readOnly: boolean;
}

export async function runInteractive(options: InteractiveOptions): Promise<number> {
  const { client } = options;
  const history = new HistoryFile(historyPath());
  const terminal = process.stdout.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    // Piped output (`npm run zk | tee log`) gets plain lines, no cursor movements.
    terminal,
    history: history.load(),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string, callback: (error: null, result: [string[], string]) => void) => {
      complete(client, shell.cwd, line).then(
        (result) => callback(null, result),
        () => callback(null, [[], line]),
      );
    },
  });
  let running: AbortController | null = null;
  let answer: ((line: string) => void) | null = null;

  // A line printed while the prompt waits clears the prompt first and draws it again after.
  const say = (text: string, stream: NodeJS.WriteStream): void => {
    if (running !== null) {
      stream.write(`${text}\n`);
      return;
    }
    stream.write(terminal ? `\r\x1b[K${text}\n` : `${text}\n`);
    rl.setPrompt(promptOf(client, shell.cwd, options.readOnly));
    rl.prompt(true);
  };
  const out = new ShellOutput(
    { out: (t) => say(t, process.stdout), err: (t) => say(t, process.stderr) },
    options.json,
  );
  const shell = new Shell({
    client,
    out,
    connectString: options.connectString,
    readOnly: options.readOnly,
    canAsk: true,
    confirm: (question) => ask(rl, question, (resolve) => (answer = resolve)),
  });
  announceStates(client, (line) => out.notice(line));

  const queue: string[] = [];
  const closed = new Promise<void>((resolve) => rl.once('close', resolve));
  let ended = false;
  rl.on('close', () => {
    // Ctrl-D means leave: a pending question is answered no, a running watch stopped.
    ended = true;
    answer?.('');
    running?.abort();
  });
  rl.on('SIGINT', () => {
    if (running !== null) running.abort();
    else if (answer !== null) answer('');
    else {
      // As a shell does: Ctrl+C drops what was typed and gives a new prompt.
      process.stdout.write('^C\n');
      rl.write(null, { ctrl: true, name: 'u' });
      rl.prompt();
    }
  });

  const drain = async (): Promise<void> => {
    while (queue.length > 0 && !shell.exitRequested) {
      const line = queue.shift()!;
      history.add(line);
      running = new AbortController();
      await shell.runLine(line, running.signal);
      running = null;
    }
    if (shell.exitRequested) rl.close();
    else if (!ended) {
      rl.setPrompt(promptOf(client, shell.cwd, options.readOnly));
      rl.prompt();
    }
  };
  rl.on('line', (line) => {
    if (answer !== null) {
      const reply = answer;
      answer = null;
      reply(line);
      return;
    }
    queue.push(line);
    if (running === null && queue.length === 1) void drain();
  });

  rl.setPrompt(promptOf(client, shell.cwd, options.readOnly));
  rl.prompt();
  await closed;
  // Ctrl-D while a command runs: let it end first.
  while (running !== null) await new Promise((r) => setTimeout(r, 20));
  return EXIT_OK;
}

function ask(
  rl: Interface,
  question: string,
  onAnswer: (resolve: (line: string) => void) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    onAnswer((line) => resolve(/^y(es)?$/i.test(line.trim())));
    rl.setPrompt(`${question} [y/N] `);
    rl.prompt();
  });
}

/** `zk:/path> `, with the state when it is not CONNECTED, and `ro` under --read-only. */
export function promptOf(client: ZkClient, cwd: string, readOnly: boolean): string {
  const state = client.state === 'CONNECTED' ? '' : `(${client.state.toLowerCase()})`;
  return `zk${readOnly ? '[ro]' : ''}${state}:${cwd}> `;
}

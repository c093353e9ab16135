/** cd, pwd and quit: the shell's own state, nothing sent but cd's existence check. */
import { NoNodeError } from '@zk-lab/zk-client';
import type { CommandSpec } from '../command-spec';

const cd: CommandSpec = {
  name: 'cd',
  usage: '[PATH]',
  summary: 'change the working node (.. and . work; no PATH: /)',
  flags: [],
  args: [0, 1],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0] ?? '/');
    if ((await shell.client.exists(path)) === null) throw new NoNodeError({ op: 'cd', path });
    shell.cwd = path;
  },
};

const pwd: CommandSpec = {
  name: 'pwd',
  usage: '',
  summary: 'the working node',
  flags: [],
  args: [0, 0],
  run(shell) {
    shell.out.result({ cwd: shell.cwd }, () => shell.cwd);
    return Promise.resolve();
  },
};

const quit: CommandSpec = {
  name: 'quit',
  aliases: ['exit'],
  usage: '',
  summary: 'end the session (its ephemeral nodes go at once) and leave; Ctrl-D too',
  flags: [],
  args: [0, 0],
  run(shell) {
    shell.requestExit();
    return Promise.resolve();
  },
};

export const navigationCommands: CommandSpec[] = [cd, pwd, quit];

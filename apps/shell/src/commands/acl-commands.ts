/** getacl and setacl. */
import { numberFlag } from '../command-line';
import type { CommandSpec } from '../command-spec';
import { aclText, parseAcl, permsText } from '../acl-text';

const getacl: CommandSpec = {
  name: 'getacl',
  usage: '[PATH]',
  summary: "a node's ACL, one scheme:id:perms a line (perms in cdrwa letters)",
  flags: [],
  args: [0, 1],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const { acl, stat } = await shell.client.getACL(path);
    shell.out.result(
      {
        path,
        aclVersion: stat.aversion,
        acl: acl.map((a) => ({ scheme: a.id.scheme, id: a.id.id, perms: permsText(a.perms) })),
      },
      () => acl.map(aclText),
    );
  },
};

const setacl: CommandSpec = {
  name: 'setacl',
  usage: '[-v ACLVERSION] PATH ACL',
  summary: "replace a node's ACL: setacl /x world:anyone:r,digest:bob:HASH:cdrwa",
  flags: [
    {
      name: 'version',
      short: 'v',
      value: 'number',
      valueName: 'ACLVERSION',
      help: 'only if the ACL is at this version',
    },
  ],
  args: [2, 2],
  writes: true,
  pathArgs: [0],
  async run(shell, args) {
    const path = shell.resolve(args.positional[0]);
    const acl = parseAcl(args.positional[1] ?? '');
    const stat = await shell.client.setACL(path, acl, numberFlag(args, 'version') ?? -1);
    shell.out.result(
      { path, aclVersion: stat.aversion },
      () => `${path}: ACL version ${stat.aversion}`,
    );
  },
};

export const aclCommands: CommandSpec[] = [getacl, setacl];

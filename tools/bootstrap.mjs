// Runs before `npm run lab` and `npm test` (npm's pre-scripts): makes a fresh clone ready
// with nothing installed by hand. It needs only Node itself.
//   1. checks the Node version;
//   2. installs the npm packages exactly as locked (npm ci) when node_modules is missing or
//      older than package-lock.json;
//   3. builds the projects (Nx, cached: a no-op when nothing changed); with --quiet, its
//      output is shown only when it fails.
// The ZooKeeper server is installed, when missing, by the ensemble runner itself
// (deploy/src/zookeeper-install.ts), the one place that knows how to find it.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`[bootstrap] ${line}\n`);

// --quiet (before the shell's prompt): the build says nothing unless it fails.
const quiet = process.argv.includes('--quiet');

function run(command, args, { hush = false } = {}) {
  if (!hush) say(`$ ${command} ${args.join(' ')}`);
  // stdout goes to stderr: the command after this one (say, `npm run produce -- --json`) owns stdout.
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: hush ? ['inherit', 'pipe', 'pipe'] : ['inherit', 2, 'inherit'],
    env: ciEnv(),
  });
  if (result.status !== 0) {
    if (hush) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    say(`\`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

function ciEnv() {
  return {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    // node-gyp builds against the machine's Node headers (see shared/STACK-NOTES.md).
    npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
  };
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  say(`Node ${process.versions.node} is too old: zk-lab needs Node 20.19 or newer.`);
  process.exit(1);
}

const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  say('installing the npm packages as locked (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

const targets = process.argv.slice(2);
if (targets.includes('--build')) {
  if (!quiet) say('building (nx, cached)…');
  run('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=stream'], { hush: quiet });
}

// `npm run bench -- <benchmark> [options]` (see bench/README.md, or `npm run bench -- --help`).
// Makes what the bench needs, then runs it:
//   1. tools/bootstrap.mjs --build: npm ci when node_modules is missing or stale, then the
//      Nx build of every project (cached: a no-op when nothing changed);
//   2. tsc -p bench/tsconfig.json: the bench itself, into bench/dist;
//   3. bench/dist/main.js. The peers (the Java driver, the npm binding) are made by it.
// Build output goes to stderr, so stdout carries the report only.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

function step(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    process.stderr.write(
      `[bench] \`node ${args.join(' ')}\` failed (${result.status ?? result.signal}).\n`,
    );
    process.exit(1);
  }
}

step([join(root, 'tools', 'bootstrap.mjs'), '--build']);
step([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')]);
const load = createRequire(import.meta.url);
const argv = process.argv.slice(2);
// No benchmark named, or `all`: every one (all.ts). `failover`, `system`, `pipeline`,
// `locks`, `scale`, `top` and `dashboard` have a module of their own; everything else (`client`, --help)
// goes to main.
const code =
  argv.length === 0 || argv[0] === 'all'
    ? await load('./dist/all.js').allMain(argv.slice(1), here)
    : argv[0] === 'failover'
      ? await load('./dist/failover.js').failoverMain(argv.slice(1), here)
      : argv[0] === 'system'
        ? await load('./dist/system.js').systemMain(argv.slice(1), here)
        : argv[0] === 'pipeline'
          ? await load('./dist/pipeline.js').pipelineMain(argv.slice(1), here)
          : argv[0] === 'locks'
            ? await load('./dist/locks.js').locksMain(argv.slice(1), here)
            : argv[0] === 'scale'
              ? await load('./dist/scale.js').scaleMain(argv.slice(1), here)
              : argv[0] === 'top'
                ? await load('./dist/top.js').topMain(argv.slice(1), here)
                : argv[0] === 'dashboard'
                  ? await load('./dist/dashboard.js').dashboardMain(argv.slice(1), here)
                  : await load('./dist/main.js').main(argv);
process.exit(code);

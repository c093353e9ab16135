// Bundles the page (src/web/main.tsx, its CSS with Pico's and uPlot's) into dist/web/ with an
// index.html: `npm run build` runs it after tsc. The server serves dist/web as it is.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
// ZK_DASHBOARD_MINIFY=0 keeps the names (for a CPU profile of the page that names functions).
const minify = process.env.ZK_DASHBOARD_MINIFY !== '0';
const outdir = join(here, 'dist', 'web');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

// zod re-exports its error messages in some 50 languages (a namespace, so esbuild cannot drop
// them: ~300 KiB). The page shows English only: give it a locales module with just `en`.
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/zod/`)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-en' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

const result = await build({
  entryPoints: [join(here, 'src', 'web', 'main.tsx')],
  bundle: true,
  minify,
  sourcemap: true,
  target: 'chrome120',
  format: 'esm',
  jsx: 'automatic',
  outdir,
  entryNames: 'main',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  plugins: [englishOnly],
  logLevel: 'warning',
});

// The build id: a hash of what was bundled, so a page can tell that the server runs another build.
const hash = createHash('sha256');
for (const file of ['main.js', 'main.css']) hash.update(readFileSync(join(outdir, file)));
const buildId = hash.digest('hex').slice(0, 12);

writeFileSync(
  join(outdir, 'index.html'),
  `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="zk-lab-build" content="${buildId}" />
    <title>zk-lab dashboard</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="main.css?${buildId}" />
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="main.js?${buildId}"></script>
  </body>
</html>
`,
);
writeFileSync(join(outdir, 'build.json'), `${JSON.stringify({ build: buildId })}\n`);

const sizes = Object.entries(result.metafile.outputs)
  .filter(([name]) => !name.endsWith('.map'))
  .map(([name, out]) => `${name.split('/').pop()} ${(out.bytes / 1024).toFixed(1)} KiB`);
process.stdout.write(`page: dist/web (${sizes.join(', ')}), build ${buildId}\n`);

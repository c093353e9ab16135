/**
 * The page's files, as @zk-lab/dashboard builds them into its dist/web/ folder: index.html
 * at `/`, the other files by their path, each with its content type. Files whose name holds
 * a content hash (esbuild's `name-HASH.js`) may be cached for good; the others are checked
 * again on every load (ETag). A page not built yet is a 503 that says how to build it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** esbuild's default `[name]-[hash]`: eight base32 characters before the extension. */
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9]+$/;

export const NOT_BUILT =
  "the dashboard's page is not built: run `npm run build` (or `npx nx run @zk-lab/dashboard:build`)";

/** The folder @zk-lab/dashboard builds its page into. */
export function defaultWebDir(): string {
  return join(dirname(require.resolve('@zk-lab/dashboard/package.json')), 'dist', 'web');
}

export class StaticPage {
  private readonly dir: string;
  private buildId: { mtimeMs: number; id: string } | null = null;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /**
   * Which build of the page is served: the id the page's build wrote in build.json (also in
   * index.html's `zk-lab-build` meta), else a hash of index.html; 'unbuilt' without a page.
   */
  build(): string {
    const index = join(this.dir, 'index.html');
    const stats = statOrNull(index);
    if (stats === null) return 'unbuilt';
    if (this.buildId?.mtimeMs !== stats.mtimeMs) {
      this.buildId = { mtimeMs: stats.mtimeMs, id: this.readBuildId(index) };
    }
    return this.buildId.id;
  }

  private readBuildId(index: string): string {
    try {
      const written = JSON.parse(readFileSync(join(this.dir, 'build.json'), 'utf8')) as unknown;
      const id = (written as { build?: unknown }).build;
      if (typeof id === 'string' && id !== '') return id;
    } catch {
      // no build.json: the hash of index.html tells builds apart as well
    }
    return createHash('sha256').update(readFileSync(index)).digest('hex').slice(0, 12);
  }

  /** Answers a GET or HEAD for `pathname` (already known not to be under /api/). */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const pathname = url.pathname;
    const indexStats = statOrNull(join(this.dir, 'index.html'));
    if (indexStats === null) return plain(res, 503, NOT_BUILT);
    let relative: string;
    try {
      relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return plain(res, 400, 'bad path');
    }
    const file = resolve(this.dir, `.${relative}`);
    const hidden = relative.split('/').some((part) => part.startsWith('.'));
    if (relative.includes('\0') || hidden || !file.startsWith(this.dir + sep)) {
      return plain(res, 404, 'not found');
    }
    const stats = statOrNull(file);
    if (stats === null || !stats.isFile()) return plain(res, 404, 'not found');
    const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
    const headers: Record<string, string | number> = {
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      // index.html asks for `main.js?BUILD`: that URL is only ever this build's file.
      'Cache-Control':
        HASHED.test(file) || (url.search !== '' && url.search.slice(1) === this.build())
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
      // The page has buttons that break the lab: no other site may frame it (clickjacking).
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': "frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': stats.size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function plain(res: ServerResponse, status: number, line: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(`${line}\n`);
}

/**
 * The dashboard's HTTP side: the page's files, and the routes of @zk-lab/dashboard's
 * protocol (see protocol.ts), over a StatusFeed (servers, apps, sessions, charts, timeline,
 * actions) and a LiveTree (the root's subtree, kept by one persistent recursive watch).
 *
 * Plain `node:http`, no framework: the lab CLI is not a NestJS app, and this is a handful of
 * routes and one event stream.
 *
 * Modes. `read-only`: every POST is refused with 403 before anything else is looked at, and
 * nothing here writes to ZooKeeper (the tree is read with reads and a watch). `lab`: a POST
 * needs the token (`Authorization: Bearer TOKEN`), comes from the page's own origin, and is
 * JSON; it may start an action or a chaos run, or set a node's data at the version it was
 * read at.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ActionRequestSchema,
  ChaosRequestSchema,
  type DashboardMode,
  NodeEditSchema,
  READ_ONLY_REFUSAL,
} from '@zk-lab/dashboard';
import {
  BadVersionError,
  RequestTooLargeError,
  ConnectionLossError,
  InvalidPathError,
  NoAuthError,
  NoNodeError,
  SessionExpiredError,
  validatePath,
  type ZkClient,
} from '@zk-lab/zk-client';
import { z } from 'zod';
import { FeedRefusal, type StatusFeed } from './feeds';
import { LiveTree } from './live-tree';
import { PageStream } from './page-stream';
import { crossOrigin, hasToken, hostAllowed, isLoopback, newToken } from './request-guard';
import { defaultWebDir, StaticPage } from './static-page';
import { nodeDetail } from './znode-views';

export interface DashboardServerOptions {
  mode: DashboardMode;
  /** The session the tree is read with (and, in lab mode, edits are made with). */
  client: ZkClient;
  /** The subtree the tree panel shows. */
  root: string;
  /** What the page names as the ensemble. */
  connectString: string;
  feed: StatusFeed;
  /** Default 127.0.0.1; another interface only when the operator asks (a warning is logged). */
  host?: string;
  /** 0: any free port. */
  port: number;
  /** When `port` is taken, listen on any free port instead (and log it). */
  anyPortIfTaken?: boolean;
  /** Lab mode's token; null makes a new one. Read-only mode has none. */
  token: string | null;
  log: (line: string) => void;
  /** The built page (default: @zk-lab/dashboard's dist/web). */
  webDir?: string;
}

export interface DashboardServer {
  /** `http://HOST:PORT/` (a wildcard host is given as 127.0.0.1). */
  readonly url: string;
  readonly port: number;
  /** Null in read-only mode. */
  readonly token: string | null;
  /** Ends every stream, closes the port, stops the tree's watch; the client and feed stay. */
  stop(): Promise<void>;
}

/** The port is taken (and no other was allowed), or the host cannot be listened on. */
export class DashboardListenError extends Error {
  override readonly name = 'DashboardListenError';
}

/** A request that is refused with its status and one line. */
class HttpRefusal extends Error {
  override readonly name = 'HttpRefusal';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Base64 of a node's data (at most ZooKeeper's 1 MB packet, and some slack for the JSON). */
const MAX_BODY = 2 * 1024 * 1024;
const MAX_PAGE = 1_000;

const ChildrenQuery = z.object({
  path: z.string(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(200),
});
const NodeQuery = z.object({ path: z.string() });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.mode === 'lab' ? (options.token ?? newToken()) : null;
  const page = new StaticPage(options.webDir ?? defaultWebDir());
  const tree = new LiveTree(options.client, options.root, options.log, (nodes) =>
    options.feed.note({
      time: Date.now(),
      kind: 'info',
      source: 'dashboard',
      text: `the tree was read again after a reconnection: ${nodes} nodes`,
    }),
  );
  await tree.start();
  const streams = new Set<PageStream>();
  const routes = new Routes(options, token, tree, page, streams);
  const loopback = isLoopback(host);
  const server = createServer((req, res) => {
    routes.handle(req, res, loopback).catch((error: unknown) => {
      options.log(`dashboard error: ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error (see the log)' });
      else res.destroy();
    });
  });
  let port: number;
  try {
    port = await listen(server, host, options.port, options.anyPortIfTaken === true, options.log);
  } catch (error) {
    await tree.stop();
    throw error;
  }
  if (!loopback) {
    options.log(
      `warning: the dashboard listens on ${host}, not on loopback only: whoever reaches this ` +
        `machine sees the ensemble${token === null ? '' : ' (its actions still need the token)'}`,
    );
  }
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
  let stopped: Promise<void> | null = null;
  return {
    url,
    port,
    token,
    stop: () =>
      (stopped ??= (async () => {
        for (const stream of [...streams]) stream.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await tree.stop();
      })()),
  };
}

async function listen(
  server: Server,
  host: string,
  port: number,
  anyPortIfTaken: boolean,
  log: (line: string) => void,
): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      server.once('error', failed);
      server.listen(p, host, () => {
        server.off('error', failed);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await attempt(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && anyPortIfTaken && port !== 0) {
      const other = await attempt(0);
      log(`the dashboard's port ${port} is taken; listening on port ${other} instead`);
      return other;
    }
    throw new DashboardListenError(
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is taken: pass another port`
        : `cannot listen on ${host}:${port}: ${(error as Error).message}`,
    );
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A zod complaint as one line. */
function oneLine(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new HttpRefusal(400, `bad ${what}: ${oneLine(result.error)}`);
  return result.data;
}

function checkedPath(path: string): string {
  try {
    validatePath(path, { op: 'dashboard' });
  } catch (error) {
    if (error instanceof InvalidPathError) throw new HttpRefusal(400, error.message);
    throw error;
  }
  return path;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpRefusal(415, 'the body must be JSON (Content-Type: application/json)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpRefusal(413, `the body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpRefusal(400, 'the body is not JSON');
  }
}

/** A ZooKeeper error of a read or an edit as the page's answer. */
function zkRefusal(error: unknown, path: string): HttpRefusal | null {
  if (error instanceof NoNodeError) return new HttpRefusal(404, `no node ${path}`);
  if (error instanceof NoAuthError)
    return new HttpRefusal(403, `not allowed by ${path}'s ACL for the dashboard's session`);
  if (error instanceof ConnectionLossError || error instanceof SessionExpiredError)
    return new HttpRefusal(503, `ZooKeeper did not answer: ${error.message}`);
  if (error instanceof RequestTooLargeError)
    return new HttpRefusal(
      413,
      `${path}: the data is larger than ZooKeeper takes (${error.message})`,
    );
  return null;
}

/**
 * Refuses a path outside the dashboard's root: the page shows the root's subtree only, and in
 * lab mode the dashboard's session is the admin's, which may read what others may not.
 */
function checkUnderRoot(path: string, root: string): void {
  if (root !== '/' && path !== root && !path.startsWith(`${root}/`)) {
    throw new HttpRefusal(403, `${path} is outside the dashboard's root ${root}`);
  }
}

class Routes {
  constructor(
    private readonly options: DashboardServerOptions,
    private readonly token: string | null,
    private readonly tree: LiveTree,
    private readonly page: StaticPage,
    private readonly streams: Set<PageStream>,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, loopback: boolean): Promise<void> {
    try {
      if (!hostAllowed(req, loopback)) {
        throw new HttpRefusal(
          403,
          'this dashboard answers only requests to 127.0.0.1 or localhost',
        );
      }
      const url = new URL(req.url ?? '/', 'http://dashboard');
      if (!url.pathname.startsWith('/api/')) {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          throw new HttpRefusal(405, `${req.method} is not served here`, { Allow: 'GET, HEAD' });
        }
        this.page.serve(req, res, url);
        return;
      }
      if (req.method === 'POST') {
        await this.post(req, res, url.pathname);
        return;
      }
      if (req.method !== 'GET') {
        throw new HttpRefusal(405, `${req.method} is not served here`, { Allow: 'GET, POST' });
      }
      await this.get(res, url);
    } catch (error) {
      if (error instanceof HttpRefusal) {
        sendJson(res, error.status, { error: error.message }, error.headers);
      } else if (error instanceof FeedRefusal) {
        sendJson(res, error.status, { error: error.message });
      } else {
        throw error;
      }
    }
  }

  private async get(res: ServerResponse, url: URL): Promise<void> {
    const query = Object.fromEntries(url.searchParams);
    switch (url.pathname) {
      case '/api/snapshot':
        return sendJson(res, 200, this.options.feed.snapshot());
      case '/api/actions':
        return sendJson(res, 200, this.options.feed.catalog());
      case '/api/events':
        return this.events(res);
      case '/api/children': {
        const { path, offset, limit } = parse(ChildrenQuery, query, 'query');
        const page = this.tree.children(checkedPath(path), offset, limit);
        if (page === null) throw new HttpRefusal(404, `no node ${path} under ${this.tree.root}`);
        return sendJson(res, 200, page);
      }
      case '/api/node': {
        const { path } = parse(NodeQuery, query, 'query');
        checkUnderRoot(checkedPath(path), this.tree.root);
        return this.node(res, checkedPath(path));
      }
      default:
        throw new HttpRefusal(404, `no route GET ${url.pathname}`);
    }
  }

  private async node(res: ServerResponse, path: string): Promise<void> {
    try {
      const { data, stat } = await this.options.client.getData(path);
      sendJson(res, 200, nodeDetail(path, data, stat));
    } catch (error) {
      throw zkRefusal(error, path) ?? error;
    }
  }

  private events(res: ServerResponse): void {
    const stream = new PageStream(
      res,
      {
        mode: this.options.mode,
        connectString: this.options.connectString,
        root: this.tree.root,
        build: this.page.build(),
      },
      this.options.feed,
      this.tree,
      () => this.streams.delete(stream),
    );
    this.streams.add(stream);
  }

  private async post(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const known = ['/api/actions', '/api/chaos', '/api/node'];
    if (!known.includes(pathname)) throw new HttpRefusal(404, `no route POST ${pathname}`);
    // Read-only refuses before anything else: no token, body or path is even looked at.
    if (this.token === null) throw new HttpRefusal(403, READ_ONLY_REFUSAL);
    const foreign = crossOrigin(req);
    if (foreign !== null) throw new HttpRefusal(403, `refused: ${foreign} (cross-origin)`);
    if (!hasToken(req, this.token)) {
      throw new HttpRefusal(401, 'this needs the token printed at start (Authorization: Bearer)', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const body = await readJson(req);
    const feed = this.options.feed;
    if (pathname === '/api/actions') {
      return sendJson(res, 202, feed.runAction(parse(ActionRequestSchema, body, 'action')));
    }
    if (pathname === '/api/chaos') {
      return sendJson(res, 202, feed.runChaos(parse(ChaosRequestSchema, body, 'chaos run')));
    }
    const edit = parse(NodeEditSchema, body, 'edit');
    await this.edit(res, edit);
  }

  private async edit(res: ServerResponse, edit: z.infer<typeof NodeEditSchema>): Promise<void> {
    const path = checkedPath(edit.path);
    checkUnderRoot(path, this.tree.root);
    if (!BASE64.test(edit.base64)) throw new HttpRefusal(400, 'bad edit: base64 is not base64');
    const data = Buffer.from(edit.base64, 'base64');
    let stat;
    try {
      stat = await this.options.client.setData(path, data, edit.version);
    } catch (error) {
      if (error instanceof BadVersionError) {
        throw new HttpRefusal(
          409,
          `${path} changed since version ${edit.version}: read it again, then edit`,
        );
      }
      const refusal = zkRefusal(error, path);
      throw refusal ?? error;
    }
    this.options.feed.note({
      time: Date.now(),
      kind: 'info',
      source: 'dashboard',
      text: `edited ${path} on the page: version ${edit.version} → ${stat.version}`,
    });
    sendJson(res, 200, nodeDetail(path, data, stat));
  }
}

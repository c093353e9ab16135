import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  addLinkRequest,
  dropRequest,
  type errorResponse,
  modeRequest,
  modesRequest,
  type dropStateResponse,
} from './control-api';
import { DropAlreadyArmedError, LinkExistsError, UnknownLinkError } from './errors';
import { FaultProxy } from './fault-proxy';

type DropState = z.infer<typeof dropStateResponse>;

/**
 * The proxy daemon: one FaultProxy and an HTTP control server on 127.0.0.1 (random port),
 * so that another process (the `lab` CLI, a test) can add links and make faults:
 *
 *   GET  /links                          → { links: LinkInfo[] }
 *   POST /links {name, targetPort, listenPort?, protocol?} → LinkAddress
 *   POST /links/:name/mode {kind, ms?}   → LinkInfo
 *   POST /modes {names, mode}            → { links } (several links at once)
 *   POST /links/:name/drop-next-reply {opTypes?} → arms it: { state: 'armed' }
 *   GET  /links/:name/drop-next-reply?waitMs=N → the last drop's state, waiting up to N ms
 *   POST /heal                           → every link back to pass
 *
 * It writes `{pid, controlPort}` to its state file once it listens, and exits on SIGTERM
 * or when its owner process dies (the reaper's watch, for the same reason: nothing may
 * outlive a killed test run).
 */
export async function runFaultProxyDaemon(
  stateFile: string,
  ownerPid: number | null,
): Promise<void> {
  const proxy = new FaultProxy();
  const drops = new Map<string, DropState>();
  const waiters = new Map<string, (() => void)[]>();
  const settle = (name: string, state: DropState): void => {
    drops.set(name, state);
    for (const wake of waiters.get(name) ?? []) wake();
    waiters.delete(name);
  };

  const route = async (
    method: string,
    path: string[],
    url: URL,
    body: unknown,
  ): Promise<[number, unknown]> => {
    if (method === 'GET' && path.length === 1 && path[0] === 'links')
      return [200, { links: proxy.links() }];
    if (method === 'POST' && path.length === 1 && path[0] === 'links') {
      const request = addLinkRequest.parse(body);
      return [201, await proxy.addLink(request.name, request)];
    }
    if (method === 'POST' && path.length === 1 && path[0] === 'heal') {
      proxy.heal();
      return [200, { links: proxy.links() }];
    }
    if (method === 'POST' && path.length === 1 && path[0] === 'modes') {
      const request = modesRequest.parse(body);
      proxy.setModes(request.names, request.mode);
      return [200, { links: proxy.links() }];
    }
    if (path.length === 3 && path[0] === 'links') {
      const name = decodeURIComponent(path[1]!);
      if (method === 'POST' && path[2] === 'mode') {
        proxy.setMode(name, modeRequest.parse(body));
        return [200, proxy.link(name)];
      }
      if (method === 'POST' && path[2] === 'drop-next-reply') {
        const request = dropRequest.parse(body);
        const fired = proxy.dropNextReply(name, request);
        settle(name, { state: 'armed' });
        fired.then(
          (reply) => settle(name, { state: 'fired', ...reply }),
          (err: Error) => settle(name, { state: 'interrupted', message: err.message }),
        );
        return [200, { state: 'armed' }];
      }
      if (method === 'GET' && path[2] === 'drop-next-reply') {
        proxy.link(name); // unknown link → 404
        const waitMs = Math.min(Number(url.searchParams.get('waitMs') ?? 0) || 0, 120_000);
        if (drops.get(name)?.state === 'armed' && waitMs > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            const list = waiters.get(name) ?? [];
            list.push(() => {
              clearTimeout(timer);
              resolve();
            });
            waiters.set(name, list);
          });
        }
        return [200, drops.get(name) ?? { state: 'none' }];
      }
    }
    return [404, { error: 'invalid-request', message: `no route ${method} /${path.join('/')}` }];
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status: number;
    let payload: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = url.pathname.split('/').filter((p) => p.length > 0);
      [status, payload] = await route(
        req.method ?? 'GET',
        path,
        url,
        text === '' ? {} : JSON.parse(text),
      );
    } catch (err) {
      [status, payload] = errorFor(err);
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const controlPort = typeof address === 'object' && address !== null ? address.port : 0;
  writeFileSync(`${stateFile}.tmp`, `${JSON.stringify({ pid: process.pid, controlPort })}\n`);
  renameSync(`${stateFile}.tmp`, stateFile);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // The state file is removed only if it is still ours (a new daemon may have replaced it).
    try {
      if (readFileSync(stateFile, 'utf8').includes(`"pid":${process.pid},`)) rmSync(stateFile);
    } catch {
      // already gone
    }
    server.close();
    void proxy.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (ownerPid !== null) {
    const watch = setInterval(() => {
      if (!alive(ownerPid)) {
        clearInterval(watch);
        stop();
      }
    }, 250);
  }
}

function errorFor(err: unknown): [number, z.infer<typeof errorResponse>] {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UnknownLinkError)
    return [404, { error: 'unknown-link', message, link: err.link }];
  if (err instanceof LinkExistsError)
    return [409, { error: 'link-exists', message, link: err.link }];
  if (err instanceof DropAlreadyArmedError)
    return [409, { error: 'drop-armed', message, link: err.link }];
  if (
    err instanceof Error &&
    (err.name === 'ZodError' || err instanceof RangeError || err instanceof SyntaxError)
  ) {
    return [400, { error: 'invalid-request', message }];
  }
  return [500, { error: 'internal', message }];
}

/** Alive and not a zombie (a dead owner may linger as one until reaped; see reaper.cjs). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

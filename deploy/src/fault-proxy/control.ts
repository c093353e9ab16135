import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import {
  daemonStateSchema,
  dropStateResponse,
  errorResponse,
  linkInfoSchema,
  linksResponse,
  type DaemonState,
} from './control-api';
import {
  DropAlreadyArmedError,
  DropInterruptedError,
  DropTimeoutError,
  FaultProxyControlError,
  FaultProxyDaemonError,
  LinkExistsError,
  ProxyClosedError,
  UnknownLinkError,
} from './errors';
import type { DroppedReply, LinkAddress, LinkInfo, LinkMode, LinkOptions } from './modes';

/** The built daemon entry; the same path from src/ (tests) and dist/. */
const DAEMON_MAIN = resolve(__dirname, '..', '..', 'dist', 'fault-proxy', 'daemon-main.js');

/** A drop armed through the daemon; `fired()` waits for it. */
export interface ArmedDrop {
  readonly link: string;
  /** Resolves once the reply was dropped; DropInterruptedError / DropTimeoutError otherwise. */
  fired(timeoutMs?: number): Promise<DroppedReply>;
}

/**
 * A typed client of a proxy daemon's control API (daemon.ts), found through the daemon's
 * state file. Every method is one HTTP request to 127.0.0.1.
 */
export class FaultProxyControl {
  private constructor(
    readonly stateFile: string,
    readonly pid: number,
    readonly controlPort: number,
  ) {}

  /** Opens the daemon named in a state file; FaultProxyDaemonError when there is none. */
  static open(stateFile: string): FaultProxyControl {
    let state: DaemonState;
    try {
      state = daemonStateSchema.parse(JSON.parse(readFileSync(stateFile, 'utf8')));
    } catch (err) {
      throw new FaultProxyDaemonError(
        `no fault proxy daemon state in ${stateFile}: ${(err as Error).message}`,
      );
    }
    return new FaultProxyControl(resolve(stateFile), state.pid, state.controlPort);
  }

  async links(): Promise<LinkInfo[]> {
    return linksResponse.parse(await this.call('GET', '/links')).links;
  }

  async link(name: string): Promise<LinkInfo> {
    const link = (await this.links()).find((l) => l.name === name);
    if (link === undefined) throw new UnknownLinkError(name);
    return link;
  }

  async addLink(name: string, options: LinkOptions): Promise<LinkAddress> {
    const body = (await this.call('POST', '/links', { name, ...options })) as LinkAddress;
    return { name: body.name, listenPort: body.listenPort, targetPort: body.targetPort };
  }

  async setMode(name: string, mode: LinkMode): Promise<LinkInfo> {
    return linkInfoSchema.parse(
      await this.call('POST', `/links/${encodeURIComponent(name)}/mode`, mode),
    );
  }

  /** The same mode on several links in one step (see FaultProxy.setModes). */
  async setModes(names: readonly string[], mode: LinkMode): Promise<void> {
    await this.call('POST', '/modes', { names, mode });
  }

  /** One link, or every link, back to `pass`. */
  async heal(name?: string): Promise<void> {
    if (name === undefined) await this.call('POST', '/heal', {});
    else await this.setMode(name, { kind: 'pass' });
  }

  /** Arms FaultProxy.dropNextReply on a link; resolves once armed. */
  async dropNextReply(
    name: string,
    options: { opTypes?: readonly number[] } = {},
  ): Promise<ArmedDrop> {
    const path = `/links/${encodeURIComponent(name)}/drop-next-reply`;
    await this.call('POST', path, options);
    return {
      link: name,
      fired: async (timeoutMs = 30_000) => {
        const state = dropStateResponse.parse(
          await this.call('GET', `${path}?waitMs=${timeoutMs}`),
        );
        if (state.state === 'fired') return { xid: state.xid, opType: state.opType };
        if (state.state === 'interrupted') throw new DropInterruptedError(state.message);
        throw new DropTimeoutError(`link "${name}": no reply dropped within ${timeoutMs} ms`);
      },
    };
  }

  /** Stops the daemon (SIGTERM) and waits until it is gone. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (!isDaemon(this.pid, this.stateFile)) return;
    process.kill(this.pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (isDaemon(this.pid, this.stateFile)) {
      if (Date.now() > deadline) {
        process.kill(this.pid, 'SIGKILL');
        return;
      }
      await sleep(25);
    }
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`http://127.0.0.1:${this.controlPort}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ProxyClosedError(
        `the fault proxy daemon (pid ${this.pid}, port ${this.controlPort}) does not answer: ${(err as Error).message}`,
      );
    }
    const payload: unknown = await response.json();
    if (response.ok) return payload;
    const error = errorResponse.safeParse(payload);
    if (!error.success) {
      throw new FaultProxyControlError(
        `${method} ${path}: HTTP ${response.status}`,
        response.status,
      );
    }
    throw typedError(error.data, path, response.status);
  }
}

function typedError(error: z.infer<typeof errorResponse>, path: string, status: number): Error {
  const link = error.link ?? decodeURIComponent(path.split('/')[2] ?? '');
  switch (error.error) {
    case 'unknown-link':
      return new UnknownLinkError(link);
    case 'link-exists':
      return new LinkExistsError(link);
    case 'drop-armed':
      return new DropAlreadyArmedError(link);
    default:
      return new FaultProxyControlError(error.message, status);
  }
}

/** Is `pid` the daemon of this state file (its command line names the file)? */
export function isDaemon(pid: number, stateFile: string): boolean {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(stateFile)) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface SpawnDaemonOptions {
  /** Where the daemon writes `{pid, controlPort}`; its log goes to `<stateFile>.log`. */
  stateFile: string;
  /** The daemon exits when this process dies; null: it outlives everyone (stop() it). */
  ownerPid: number | null;
  timeoutMs?: number;
}

/** Starts a proxy daemon (needs the build: dist/fault-proxy/daemon-main.js) and opens it. */
export async function spawnFaultProxyDaemon(
  options: SpawnDaemonOptions,
): Promise<FaultProxyControl> {
  if (!existsSync(DAEMON_MAIN)) {
    throw new FaultProxyDaemonError(`${DAEMON_MAIN} is missing: build @zk-lab/deploy first`);
  }
  const stateFile = resolve(options.stateFile);
  const log = openSync(`${stateFile}.log`, 'a');
  let exited: string | null = null;
  try {
    const args = [DAEMON_MAIN, stateFile];
    if (options.ownerPid !== null) args.push(String(options.ownerPid));
    const child = spawn(process.execPath, args, { stdio: ['ignore', log, log], detached: true });
    child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
    child.unref();
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      if (existsSync(stateFile)) {
        try {
          const control = FaultProxyControl.open(stateFile);
          if (control.pid === child.pid) return control;
        } catch {
          // half written: the daemon renames it into place, but an old file may be there
        }
      }
      if (exited !== null || Date.now() > deadline) {
        if (child.pid !== undefined && exited === null) process.kill(child.pid, 'SIGKILL');
        throw new FaultProxyDaemonError(
          `the fault proxy daemon did not start (${exited ?? 'timeout'}); see ${stateFile}.log`,
        );
      }
      await sleep(20);
    }
  } finally {
    closeSync(log);
  }
}

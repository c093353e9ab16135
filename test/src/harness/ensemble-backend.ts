/**
 * Which backend runs the shared test ensemble: `process` (real server processes on
 * 127.0.0.1, the default on machines without Docker) or `docker` (containers of the official
 * image through testcontainers). `ZK_LAB_BACKEND=process|docker|auto`, default auto: docker
 * when a Docker engine answers `/_ping` within a short timeout, else process.
 */
import { request } from 'node:http';

export type BackendKind = 'process' | 'docker';

export interface BackendChoice {
  kind: BackendKind;
  /** One line: why this backend, for the run's log. */
  reason: string;
}

/** ZK_LAB_BACKEND holds something other than process, docker or auto. */
export class BackendSettingError extends Error {
  override readonly name = 'BackendSettingError';
}

/** ZK_LAB_BACKEND=docker, and no Docker engine answers. */
export class DockerEngineUnavailableError extends Error {
  override readonly name = 'DockerEngineUnavailableError';
}

/** Where the Docker engine listens: DOCKER_HOST (unix:// or tcp://) or the default socket. */
export type DockerEndpoint =
  | { kind: 'socket'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number }
  /** A DOCKER_HOST this module does not ping (ssh://, npipe://, TLS): testcontainers may. */
  | { kind: 'other'; url: string };

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export function dockerEndpoint(env: Record<string, string | undefined>): DockerEndpoint {
  const url = env.DOCKER_HOST;
  if (url === undefined || url === '') return { kind: 'socket', socketPath: DEFAULT_DOCKER_SOCKET };
  if (url.startsWith('unix://')) return { kind: 'socket', socketPath: url.slice('unix://'.length) };
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(url);
  if (tcp?.[1] !== undefined && tcp[2] !== undefined && env.DOCKER_TLS_VERIFY !== '1') {
    return { kind: 'tcp', host: tcp[1], port: Number(tcp[2]) };
  }
  return { kind: 'other', url };
}

export function describeEndpoint(endpoint: DockerEndpoint): string {
  switch (endpoint.kind) {
    case 'socket':
      return `unix://${endpoint.socketPath}`;
    case 'tcp':
      return `tcp://${endpoint.host}:${endpoint.port}`;
    case 'other':
      return endpoint.url;
  }
}

export type PingResult = { ok: true } | { ok: false; why: string };

/** Asks the engine's `GET /_ping` (it answers 200 "OK"); never rejects. */
export function pingDockerEngine(endpoint: DockerEndpoint, timeoutMs = 500): Promise<PingResult> {
  if (endpoint.kind === 'other') {
    return Promise.resolve({ ok: false, why: 'not pinged (only unix:// and plain tcp:// are)' });
  }
  return new Promise((resolve) => {
    const where =
      endpoint.kind === 'socket'
        ? { socketPath: endpoint.socketPath }
        : { host: endpoint.host, port: endpoint.port };
    const req = request({ ...where, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve(
          res.statusCode === 200 && body.trim() === 'OK'
            ? { ok: true }
            : { ok: false, why: `answered ${res.statusCode ?? '?'} ${JSON.stringify(body)}` },
        ),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, why: err.code ?? err.message }),
    );
    req.end();
  });
}

/** Chooses the backend from ZK_LAB_BACKEND and, for auto and docker, the engine's answer. */
export async function chooseBackend(
  env: Record<string, string | undefined> = process.env,
  ping: (endpoint: DockerEndpoint) => Promise<PingResult> = pingDockerEngine,
): Promise<BackendChoice> {
  const setting = env.ZK_LAB_BACKEND || 'auto';
  if (setting === 'process') return { kind: 'process', reason: 'ZK_LAB_BACKEND=process' };
  if (setting !== 'docker' && setting !== 'auto') {
    throw new BackendSettingError(
      `ZK_LAB_BACKEND=${setting} is not a backend: expected process, docker or auto`,
    );
  }
  const endpoint = dockerEndpoint(env);
  const where = describeEndpoint(endpoint);
  if (setting === 'docker' && endpoint.kind === 'other') {
    return { kind: 'docker', reason: `ZK_LAB_BACKEND=docker (DOCKER_HOST=${where}, not pinged)` };
  }
  const answer = await ping(endpoint);
  if (answer.ok) {
    const why = setting === 'docker' ? 'ZK_LAB_BACKEND=docker' : 'auto';
    return { kind: 'docker', reason: `${why}: a Docker engine answers at ${where}` };
  }
  if (setting === 'docker') {
    throw new DockerEngineUnavailableError(
      `ZK_LAB_BACKEND=docker but no Docker engine answers at ${where} (${answer.why}): ` +
        'start one or set DOCKER_HOST, or use ZK_LAB_BACKEND=process',
    );
  }
  return {
    kind: 'process',
    reason: `auto: no Docker engine answers at ${where} (${answer.why})`,
  };
}

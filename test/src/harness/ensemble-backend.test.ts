import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendSettingError,
  chooseBackend,
  DockerEngineUnavailableError,
  dockerEndpoint,
} from './ensemble-backend';

/** A socket path where nothing listens. */
const NOWHERE = `unix://${join(tmpdir(), 'zk-lab-no-engine.sock')}`;

/** An HTTP server that answers /_ping as a Docker engine does, on a unix socket. */
async function fakeEngine(): Promise<{
  url: string;
  pings: () => number;
  close: () => Promise<void>;
}> {
  let pings = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/_ping') pings += 1;
    res.writeHead(req.url === '/_ping' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/_ping' ? 'OK' : 'not found');
  });
  const socketPath = join(mkdtempSync(join(tmpdir(), 'zk-lab-engine-')), 'docker.sock');
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    url: `unix://${socketPath}`,
    pings: () => pings,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the choice of the test ensemble backend', () => {
  it('is the process backend in auto mode when no engine answers, and says why', async () => {
    for (const env of [{}, { ZK_LAB_BACKEND: 'auto' }]) {
      const choice = await chooseBackend({ ...env, DOCKER_HOST: NOWHERE });
      expect(choice.kind).toBe('process');
      expect(choice.reason).toMatch(
        /^auto: no Docker engine answers at unix:\/\/.*no-engine\.sock \(ENOENT\)$/,
      );
    }
  });

  it('is the process backend when forced, without asking any engine', async () => {
    const ping = jest.fn();
    await expect(chooseBackend({ ZK_LAB_BACKEND: 'process' }, ping)).resolves.toEqual({
      kind: 'process',
      reason: 'ZK_LAB_BACKEND=process',
    });
    expect(ping).not.toHaveBeenCalled();
  });

  it('refuses a forced docker backend with no engine in one clear line', async () => {
    const choice = chooseBackend({ ZK_LAB_BACKEND: 'docker', DOCKER_HOST: NOWHERE });
    await expect(choice).rejects.toThrow(DockerEngineUnavailableError);
    await expect(choice).rejects.toThrow(
      /^ZK_LAB_BACKEND=docker but no Docker engine answers at unix:\/\/\S+ \(ENOENT\): start one or set DOCKER_HOST, or use ZK_LAB_BACKEND=process$/,
    );
  });

  it('refuses an unknown backend name', async () => {
    await expect(chooseBackend({ ZK_LAB_BACKEND: 'vm' })).rejects.toThrow(BackendSettingError);
  });

  it('is the docker backend when an engine answers /_ping, on a unix socket', async () => {
    const engine = await fakeEngine();
    try {
      await expect(chooseBackend({ DOCKER_HOST: engine.url })).resolves.toEqual({
        kind: 'docker',
        reason: `auto: a Docker engine answers at ${engine.url}`,
      });
      await expect(
        chooseBackend({ ZK_LAB_BACKEND: 'docker', DOCKER_HOST: engine.url }),
      ).resolves.toMatchObject({
        kind: 'docker',
      });
      expect(engine.pings()).toBe(2);
    } finally {
      await engine.close();
    }
  });

  it('is the docker backend when an engine answers on tcp://, and not when something else does', async () => {
    const server = createServer((req, res) => res.end(req.url === '/_ping' ? 'OK' : ''));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const choice = await chooseBackend({ DOCKER_HOST: `tcp://127.0.0.1:${port}` });
      expect(choice.kind).toBe('docker');
      const other = createServer((_req, res) => res.writeHead(404).end('nope'));
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      const otherPort = (other.address() as { port: number }).port;
      const notDocker = await chooseBackend({ DOCKER_HOST: `tcp://127.0.0.1:${otherPort}` });
      await new Promise((resolve) => other.close(resolve));
      expect(notDocker).toEqual({
        kind: 'process',
        reason: `auto: no Docker engine answers at tcp://127.0.0.1:${otherPort} (answered 404 "nope")`,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads DOCKER_HOST, defaulting to the usual socket', () => {
    expect(dockerEndpoint({})).toEqual({ kind: 'socket', socketPath: '/var/run/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.2:2375' })).toEqual({
      kind: 'tcp',
      host: '10.0.0.2',
      port: 2375,
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'ssh://me@box' })).toEqual({
      kind: 'other',
      url: 'ssh://me@box',
    });
  });
});

/**
 * The shared test ensemble as containers of the official image, started with testcontainers
 * on a network of its own; the client ports are published on the host. Written to work and
 * type-checked, but never run on these machines: they have no Docker engine (README, Docker).
 */
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { setTimeout as sleep } from 'node:timers/promises';
// Relative imports: jest loads its global setup outside any project, without moduleNameMapper.
import {
  CONTAINER_PORTS,
  fourLetterWord,
  parseSrvr,
  zooKeeperContainerSettings,
  type ZooKeeperContainerOptions,
} from '../../../deploy/src';

export interface DockerEnsemble {
  /** host:port of every server's published client port. */
  readonly connectString: string;
  stop(): Promise<void>;
}

/** The containers did not start, or did not serve in time. */
export class DockerEnsembleStartError extends Error {
  override readonly name = 'DockerEnsembleStartError';
}

export async function startDockerEnsemble(
  options: ZooKeeperContainerOptions & { startTimeoutMs?: number } = {},
): Promise<DockerEnsemble> {
  // Loaded only here: requiring testcontainers costs about half a second.
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const network = await new Network().start();
  const containers: StartedTestContainer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(containers.map((c) => c.stop()));
    await network.stop();
  };
  try {
    // All at once: no server serves before a quorum of them is up.
    const started = await Promise.allSettled(
      zooKeeperContainerSettings(options).map((s) =>
        new GenericContainer(s.image)
          .withNetwork(network)
          .withNetworkAliases(s.alias)
          .withEnvironment(s.env)
          .withExposedPorts(...s.exposedPorts)
          .withWaitStrategy(Wait.forListeningPorts())
          .withStartupTimeout(timeoutMs)
          .start(),
      ),
    );
    for (const result of started) if (result.status === 'fulfilled') containers.push(result.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      throw new DockerEnsembleStartError(
        `a ZooKeeper container did not start: ${String(failed.reason)}`,
      );
    }
    const servers = containers.map((c) => ({
      host: c.getHost(),
      port: c.getMappedPort(CONTAINER_PORTS.client),
    }));
    await waitUntilServing(servers, network, timeoutMs);
    return { connectString: servers.map((s) => `${s.host}:${s.port}`).join(','), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls `srvr` until every server reports a mode (it serves: the quorum formed). */
async function waitUntilServing(
  servers: { host: string; port: number }[],
  network: StartedNetwork,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(
      servers.map((s) =>
        fourLetterWord(s.host, s.port, 'srvr').then(
          (text) => (parseSrvr(text) === null ? `not serving: ${text.trim()}` : 'serving'),
          (err: Error) => err.message,
        ),
      ),
    );
    if (last.every((state) => state === 'serving')) return;
    await sleep(250);
  }
  throw new DockerEnsembleStartError(
    `the ZooKeeper containers (network ${network.getName()}) did not serve within ${timeoutMs} ms: ` +
      last.map((state, i) => `zk${i + 1}: ${state}`).join('; '),
  );
}

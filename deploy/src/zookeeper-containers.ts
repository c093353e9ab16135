/**
 * The settings of each server of an ensemble run as containers of the official `zookeeper`
 * image, as deploy/docker-compose.yml and the test harness's Docker backend run it. Pure:
 * no Docker is needed to compute them (nor to test them).
 */

export const ZOOKEEPER_IMAGE = 'zookeeper:3.8';

/** The ports inside every container (the image's defaults). */
export const CONTAINER_PORTS = { client: 2181, quorum: 2888, election: 3888 } as const;

export interface ZooKeeperContainerOptions {
  /** Number of servers; odd. Default 3. */
  size?: number;
  /** Default 200 ms, as the process ensemble's. */
  tickTimeMs?: number;
  /** Java heap per server (-Xmx), in MiB. Default 512. */
  heapMb?: number;
  /** Default ZOOKEEPER_IMAGE. */
  image?: string;
}

export interface ZooKeeperContainerSettings {
  id: number;
  /** The name peers (and apps on the same network) resolve it by: zk<id>. */
  alias: string;
  image: string;
  /** The image's configuration variables (its entrypoint writes zoo.cfg from them). */
  env: Record<string, string>;
  /** The ports to publish on the host: the client port only (peers talk on the network). */
  exposedPorts: number[];
}

/**
 * Each server's container settings. initLimit and syncLimit are 10 s and 2 s worth of ticks,
 * as in renderZooConfig, so a short tick does not make followers give up on a busy machine.
 */
export function zooKeeperContainerSettings(
  options: ZooKeeperContainerOptions = {},
): ZooKeeperContainerSettings[] {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) {
    throw new RangeError(`an ensemble needs an odd number of servers (1, 3, 5, …), not ${size}`);
  }
  const tickTimeMs = options.tickTimeMs ?? 200;
  const ticks = (ms: number) => Math.max(2, Math.ceil(ms / tickTimeMs));
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const { client, quorum, election } = CONTAINER_PORTS;
  const servers = ids.map((id) => `server.${id}=zk${id}:${quorum}:${election};${client}`);
  return ids.map((id) => ({
    id,
    alias: `zk${id}`,
    image: options.image ?? ZOOKEEPER_IMAGE,
    env: {
      ZOO_MY_ID: String(id),
      ZOO_SERVERS: servers.join(' '),
      ZOO_TICK_TIME: String(tickTimeMs),
      ZOO_INIT_LIMIT: String(ticks(10_000)),
      ZOO_SYNC_LIMIT: String(ticks(2_000)),
      ZOO_4LW_COMMANDS_WHITELIST: '*',
      ZOO_ADMINSERVER_ENABLED: 'false',
      ZOO_AUTOPURGE_PURGEINTERVAL: '1',
      ZOO_CFG_EXTRA: 'extendedTypesEnabled=true',
      JVMFLAGS: `-Xmx${options.heapMb ?? 512}m`,
    },
    exposedPorts: [client],
  }));
}

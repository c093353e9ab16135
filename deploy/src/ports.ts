import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/**
 * Picks `count` distinct TCP ports that are free on `host` right now.
 *
 * The ports come from BELOW the kernel's ephemeral range (ip_local_port_range), at random:
 * a port the kernel hands out for `listen(0)` is one it also hands out as the source port
 * of outgoing connections, so between being picked and being bound by a server it could be
 * taken by any client connecting anywhere (the tests open hundreds). Ports below the range
 * are only ever taken by an explicit bind. Each is checked by binding it; all are held until
 * every one is known, so they are distinct. Another process may still bind one before it
 * is used, which a random pick makes unlikely.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const [low, high] = pickRange();
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > count * 50) {
        throw new Error(`no ${count} free ports found between ${low} and ${high} on ${host}`);
      }
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (ports.includes(port)) continue;
      const server = await listen(port, host);
      if (server === null) continue;
      servers.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** [low, high] just below the ephemeral range; [20000, 32767] when it cannot be read. */
function pickRange(): [number, number] {
  try {
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (ephemeralLow !== undefined && ephemeralLow > 12_000) {
      return [ephemeralLow - 12_000, ephemeralLow - 1];
    }
  } catch {
    // not Linux, or no /proc: the usual Linux default below
  }
  return [20_000, 32_767];
}

/** A server listening on `port`, or null when the port is taken. */
function listen(port: number, host: string): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, host, () => resolve(server));
  });
}

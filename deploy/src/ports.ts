import { createServer, type Server } from 'node:net';

/**
 * Picks `count` distinct TCP ports that are free on 127.0.0.1 right now, by binding port 0
 * and reading back what the kernel chose. All sockets are held until every port is known,
 * so the ports are distinct; another process may still take one before it is used.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, host, () => {
            const address = server.address();
            if (address === null || typeof address === 'string') {
              reject(new Error('could not read the address of a listening socket'));
            } else {
              resolve(address.port);
            }
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

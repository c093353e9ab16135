import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePorts } from './ports';

describe('freePorts', () => {
  it('gives distinct ports below the ephemeral range that a server can listen on', async () => {
    const ephemeralLow = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    const ports = await freePorts(30);
    expect(new Set(ports).size).toBe(30);
    for (const port of ports) expect(port).toBeLessThan(ephemeralLow);
    await Promise.all(
      ports.map(
        (port) =>
          new Promise<void>((resolve, reject) => {
            const server = createServer();
            server.once('error', reject);
            server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
          }),
      ),
    );
  });
});

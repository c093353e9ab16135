// A master whose HTTP port is taken (after its runtime joined the election) says so in one
// line, exits 1 and closes its session at once: its election node goes with it, so it does
// not block a failover for a session timeout (review O4).
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { useLabSystem, waitFor } from '@zk-lab/test';
import { PATHS } from '@zk-lab/lab-core';

describe('a master that cannot serve HTTP', () => {
  const system = useLabSystem();
  let blocker: Server;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
  });
  afterAll(async () => {
    await new Promise<void>((done) => blocker.close(() => done()));
  });

  it('logs one line, exits 1 and leaves the election at once', async () => {
    const port = (blocker.address() as AddressInfo).port;
    const master = system.apps.start('master', ['--id', 'm1', '--http-port', String(port)]);
    const line = await master.waitForLog('the HTTP failure', (l) =>
      l.msg.startsWith('could not serve HTTP'),
    );
    expect(line.msg).toContain(String(port));
    const startedExit = Date.now();
    expect((await master.exited).code).toBe(1);
    // Well under the 2 s session timeout: the session was closed, not left to expire.
    await waitFor(
      'the election empty',
      async () => (await system.observer.getChildren(PATHS.election)).length === 0,
      1_000,
    );
    expect(Date.now() - startedExit).toBeLessThan(1_500);
  }, 60_000);
});

import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeDetailSchema, SnapshotSchema } from '@zk-lab/dashboard';
import { Ensemble } from '@zk-lab/deploy';
import { ZkClient } from '@zk-lab/zk-client';
import { lab, LabUp } from '../__tests__/lab-processes';
import { ask } from './__tests__/dashboard-http';

// `lab up` as the user runs it (the built CLI, build first): one server, no apps.
describe('lab up serves the dashboard in lab mode', () => {
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-up-dashboard-'));
  let up: LabUp | null = null;
  let blocker: Server;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    blocker.close();
    if (up !== null && up.child.exitCode === null) {
      up.kill('SIGINT');
      await up.exited();
    }
    await lab(['zk', 'down'], state); // in case it did not stop its ensemble
  }, 30_000);

  it('prints its URL with the token (another port when the asked one is taken); the token opens its POSTs; Ctrl+C stops it', async () => {
    const taken = (blocker.address() as { port: number }).port;
    up = new LabUp(['--no-apps', '--size', '1', '--dashboard-port', String(taken)], state);
    await up.waitUntilUp(60_000);
    const said = up.errLines.join('\n');
    const found = /^dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/)#token=([0-9a-f]{32})$/m.exec(said);
    expect(found === null ? said : 'found').toBe('found');
    const [, url, port, token] = found as unknown as [string, string, string, string];
    expect(Number(port)).not.toBe(taken);
    expect(said).toContain(`port ${taken} is taken; listening on port ${port}`);

    const snapshot = await ask(`${url}api/snapshot`);
    expect(SnapshotSchema.parse(snapshot.json).mode).toBe('lab');

    const client = await ZkClient.connect({
      connectString: Ensemble.open(join(state, 'zk')).connectString(),
    });
    try {
      await client.create('/edited-from-the-page', 'before');
      const edit = {
        path: '/edited-from-the-page',
        base64: Buffer.from('after').toString('base64'),
        version: 0,
      };
      expect((await ask(`${url}api/node`, { method: 'POST', body: edit })).status).toBe(401);
      const done = await ask(`${url}api/node`, {
        method: 'POST',
        body: edit,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(done.status).toBe(200);
      expect(NodeDetailSchema.parse(done.json).text).toBe('after');
      expect((await client.getData('/edited-from-the-page')).data.toString()).toBe('after');
    } finally {
      await client.close();
    }

    up.kill('SIGINT');
    expect(await up.exited()).toBe(0);
    await expect(ask(`${url}api/snapshot`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

/**
 * Service instances in real processes, on a private ensemble (a destructive file): an
 * instance whose process is SIGKILLed leaves the list within its session timeout, and one
 * whose session expires (its only server frozen past the timeout) registers again on its
 * new session, under the same id.
 */
import { ZkClient } from '@zk-lab/zk-client';
import { testRoot, usePrivateEnsemble } from '@zk-lab/test';
import { Waitable } from '../cache/__tests__/event-log';
import { FixtureProcess, killAllFixtures } from '../cache/__tests__/fixture-process';
import { ServiceDiscovery } from './service-discovery';

type Change = [type: 'added' | 'removed' | 'updated', id: string, at: number];

/** The fixture's session timeout: the server expires a dead instance's session after it. */
const INSTANCE_SESSION_MS = 2_000;
/** Time for the server's expiry check (every tick) and the notification, on a busy machine. */
const MARGIN_MS = 2_500;

describe('service instances that die or lose their session', () => {
  const cluster = usePrivateEnsemble({ size: 3 });
  const basePath = `${testRoot()}/services`;
  const opened: { close(): Promise<void> }[] = [];

  async function discover(name: string) {
    const client = await ZkClient.connect({
      connectString: cluster.ensemble.connectString(),
      sessionTimeoutMs: 4_000,
    });
    opened.push(client);
    const discovery = new ServiceDiscovery(client, { basePath, name });
    opened.unshift(discovery);
    const changes = new Waitable<Change>();
    discovery.on('added', (i) => changes.push(['added', i.id, Date.now()]));
    discovery.on('updated', (i) => changes.push(['updated', i.id, Date.now()]));
    discovery.on('removed', (i) => changes.push(['removed', i.id, Date.now()]));
    await discovery.start();
    return { discovery, changes };
  }

  function instance(name: string, id: string, ids?: number[]): FixtureProcess {
    return new FixtureProcess('service-instance', [
      cluster.ensemble.connectString(ids),
      basePath,
      name,
      id,
      String(INSTANCE_SESSION_MS),
    ]);
  }

  afterEach(async () => {
    await killAllFixtures();
    for (const closable of opened.splice(0)) await closable.close();
    await cluster.ensemble.restoreAll();
  }, 60_000);

  it('a SIGKILLed instance leaves the list within its session timeout', async () => {
    const { discovery, changes } = await discover('worker');
    const doomed = instance('worker', 'doomed');
    const survivor = instance('worker', 'survivor');
    await doomed.line('doomed registered', (l) => l['registered'] === 'doomed');
    await survivor.line('survivor registered', (l) => l['registered'] === 'survivor');
    await changes.until('both listed', (c) => c.filter(([t]) => t === 'added').length === 2);
    expect(discovery.get('doomed')).toMatchObject({
      name: 'worker',
      address: '127.0.0.1',
      port: 8080,
      metadata: { pid: doomed.pid },
    });

    const killedAt = Date.now();
    doomed.kill('SIGKILL');
    await doomed.exited;
    await changes.until(
      'doomed removed',
      (c) => c.some(([t, id]) => t === 'removed' && id === 'doomed'),
      INSTANCE_SESSION_MS + MARGIN_MS + 5_000,
    );
    const removedAt = changes.items.find(([t, id]) => t === 'removed' && id === 'doomed')?.[2] ?? 0;
    expect(removedAt - killedAt).toBeLessThan(INSTANCE_SESSION_MS + MARGIN_MS);
    expect(discovery.instances().map((i) => i.id)).toEqual(['survivor']);
  }, 40_000);

  it('an instance whose session expired registers again on its new session, same id', async () => {
    const leader = await cluster.ensemble.leaderId();
    const pinned = cluster.ensemble.nodes.map((n) => n.id).find((id) => id !== leader);
    if (pinned === undefined) throw new Error('no follower');
    const { discovery, changes } = await discover('renewed');
    const phoenix = instance('renewed', 'phoenix', [pinned]);
    const first = await phoenix.line('registered', (l) => l['registered'] === 'phoenix');
    await changes.until('phoenix listed', (c) => c.length === 1);

    // Its only server freezes past the session timeout: the ensemble expires the session.
    cluster.ensemble.pauseNode(pinned);
    await changes.until('phoenix removed', (c) => c.length === 2, 15_000);
    await phoenix.line('LOST', (l) => l['state'] === 'LOST', 15_000);
    cluster.ensemble.resumeNode(pinned);
    const again = await phoenix.line(
      'registered on a new session',
      (l) => l['registered'] === 'phoenix' && l['sessionId'] !== first['sessionId'],
      30_000,
    );
    await changes.until('phoenix listed again', (c) => c.length === 3, 10_000);

    expect(changes.items.map(([t, id]) => [t, id])).toEqual([
      ['added', 'phoenix'],
      ['removed', 'phoenix'],
      ['added', 'phoenix'],
    ]);
    expect(discovery.instances().map((i) => i.id)).toEqual(['phoenix']);
    const states = phoenix.lines.items
      .filter((l) => l['state'] !== undefined)
      .map((l) => l['state']);
    expect(states).toEqual(['SUSPENDED', 'LOST', 'CONNECTED']);
    expect(again['sessionId']).not.toBe(first['sessionId']);
  }, 60_000);
});

/**
 * A LeaderLatch or LeaderElection listener that throws (review zk-recipes F9): the other
 * listeners still hear the event, the recipe's state is still updated (a 'standard' latch is
 * revoked at SUSPENDED, an election runs its function), and the error is a process warning
 * (ZK_RECIPES_LISTENER_ERROR). On the shared ensemble; SUSPENDED comes from a fault-proxy
 * link that is reset.
 */
import { randomBytes } from 'node:crypto';
import { ZkClient } from '@zk-lab/zk-client';
import { sharedConnectString, testRoot, useFaultProxy, waitFor } from '@zk-lab/test';
import { connectViaProxy } from '../../../zk-client/src/__tests__/via-proxy';
import { LeaderElection } from './leader-election';
import { LeaderLatch } from './leader-latch';

describe('a leader recipe listener that throws', () => {
  const root = testRoot();
  const { proxy } = useFaultProxy();
  const opened: { close(): Promise<void> }[] = [];
  /** The ZK_RECIPES_LISTENER_ERROR warnings emitted during the test. */
  const warnings: string[] = [];
  let warn: jest.SpyInstance<void, Parameters<typeof process.emitWarning>>;

  beforeEach(() => {
    warnings.length = 0;
    warn = jest.spyOn(process, 'emitWarning').mockImplementation((warning, options) => {
      const code = typeof options === 'object' ? options.code : undefined;
      if (code === 'ZK_RECIPES_LISTENER_ERROR') warnings.push(String(warning));
    });
  });

  afterEach(async () => {
    warn.mockRestore();
    for (const closable of opened.splice(0)) await closable.close();
  });

  afterAll(async () => {
    const admin = await ZkClient.connect({ connectString: sharedConnectString() });
    await admin.deleteRecursive(root);
    await admin.close();
  });

  function election(): string {
    return `${root}/election-${randomBytes(4).toString('hex')}`;
  }

  it("LeaderLatch at SUSPENDED: the other 'suspended' listeners run and the leader is revoked all the same", async () => {
    const link = 'latch-suspended-throws';
    const client = await connectViaProxy(proxy(), link, 10_000);
    opened.push(client);
    const latch = new LeaderLatch(client, election(), { policy: 'standard' });
    opened.unshift(latch);
    const events: string[] = [];
    latch.on('elected', () => events.push('elected'));
    latch.on('suspended', () => {
      events.push('suspended: throws');
      throw new Error('a suspended listener broke');
    });
    latch.on('suspended', () => events.push('suspended: second listener'));
    latch.on('revoked', ({ reason }) => events.push(`revoked:${reason}`));
    await latch.start();
    await latch.await({ timeoutMs: 5_000 });

    proxy().setMode(link, { kind: 'reset' });
    await waitFor('elected again after RECONNECTED', () => events.length >= 5, 10_000);
    expect(events).toEqual([
      'elected',
      'suspended: throws',
      'suspended: second listener',
      'revoked:SUSPENDED',
      'elected',
    ]);
    await waitFor('the warning', () => warnings.length === 1, 2_000);
    expect(warnings[0]).toContain('a suspended listener broke');
  });

  it("LeaderElection: a throwing 'elected' listener neither keeps the function from running nor the next term from coming", async () => {
    const client = await ZkClient.connect({ connectString: sharedConnectString() });
    opened.push(client);
    let runs = 0;
    const selector = new LeaderElection(
      client,
      election(),
      async ({ signal }) => {
        // The first term ends at once; the second lasts until the election closes.
        if (++runs === 1) return;
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
      { autoRequeue: true },
    );
    opened.unshift(selector);
    const heard: string[] = [];
    selector.on('elected', () => {
      throw new Error('an elected listener broke');
    });
    selector.on('elected', () => heard.push('elected'));
    selector.on('relinquished', () => {
      throw new Error('a relinquished listener broke');
    });
    selector.on('relinquished', () => heard.push('relinquished'));
    await selector.start();

    await waitFor('a second term', () => runs === 2, 10_000);
    expect(heard).toEqual(['elected', 'relinquished', 'elected']);
    expect(selector.hasLeadership).toBe(true);
    await waitFor('the warnings', () => warnings.length === 3, 2_000);
    expect(warnings.map((w) => w.replace(/.*threw: /, ''))).toEqual([
      'Error: an elected listener broke',
      'Error: a relinquished listener broke',
      'Error: an elected listener broke',
    ]);
  });
});

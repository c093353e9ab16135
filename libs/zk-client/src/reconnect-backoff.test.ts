/**
 * How often a client knocks while its ensemble is down (review zk-client 1.5). By default
 * it backs off (about 10 attempts in the first 10 s, then one a second), so thousands of
 * clients do not flood servers that are electing and resyncing; LAN_RECONNECT_BACKOFF
 * keeps the lab's fast knocking. Counted as the client opens connections, against a port
 * where nothing listens (an ensemble that is down).
 */
import { freePorts } from '@zk-lab/deploy';
import { LAN_RECONNECT_BACKOFF, ZkClient, type ZkClientOptions } from './client';
import { Connection } from './connection';
import { ConnectionLossError } from './errors';

const WINDOW_MS = 3_000;

describe('reconnect backoff while the ensemble is down', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** The connection attempts a client makes in WINDOW_MS of trying to connect. */
  async function attempts(options: Partial<ZkClientOptions>): Promise<number> {
    const [port] = await freePorts(1);
    let opened = 0;
    const open = Connection.open.bind(Connection);
    jest.spyOn(Connection, 'open').mockImplementation((connection) => {
      opened++;
      return open(connection);
    });
    await expect(
      ZkClient.connect({
        connectString: `127.0.0.1:${port}`,
        connectTimeoutMs: WINDOW_MS,
        ...options,
      }),
    ).rejects.toBeInstanceOf(ConnectionLossError);
    return opened;
  }

  it('by default backs off: at most 10 attempts in 3 s', async () => {
    // Pauses of at least 25, 50, 100, 200, 400, 500, 500, … ms (half of each doubling step
    // up to 1 s, jittered) after attempts that fail at once: 10 fit in 3 s at the most.
    const count = await attempts({});
    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(10);
  });

  it('with LAN_RECONNECT_BACKOFF knocks every 100 ms at the most', async () => {
    const count = await attempts({ reconnectBackoff: LAN_RECONNECT_BACKOFF });
    expect(count).toBeGreaterThan(20);
  });
});

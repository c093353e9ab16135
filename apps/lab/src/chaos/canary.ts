/**
 * The canary: a check of ZooKeeper itself, beside the apps, through the whole chaos run.
 * A client of the runner's own creates `c-<n>` under `/zk-lab-chaos-canary-<seed>`, one at
 * a time, a few each second, on the servers' own ports (never through the proxies), and
 * remembers every create the server acknowledged. At the end the judge reads the canary's
 * nodes like the apps' records, from each server on its own: an acknowledged create that
 * is missing is a write ZooKeeper lost, and a node some servers hold and others do not is
 * a divergence. Either is ZooKeeper's fault, and it says the apps' records may be wrong
 * for a reason that is not the apps'.
 *
 * A create that failed (ConnectionLoss, an expired session, a timeout) may or may not have
 * been applied: the canary counts it, and the judge allows its node either way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCredentials } from '@zk-lab/lab-core';
import { CreateMode, ZkClient, LAN_RECONNECT_BACKOFF } from '@zk-lab/zk-client';

/** What the canary leaves for the judge. */
export interface CanaryRecord {
  /** Its parent, e.g. /zk-lab-chaos-canary-1. */
  path: string;
  /** The names of the creates the server acknowledged, in order. */
  acked: string[];
  /** Creates whose outcome is unknown (the request failed). */
  indeterminate: number;
}

export const canaryPath = (seed: number): string => `/zk-lab-chaos-canary-${seed}`;
export const canaryNode = (n: number): string => `c-${String(n).padStart(10, '0')}`;

const DEFAULT_INTERVAL_MS = 100;

export class Canary {
  private readonly acked: string[] = [];
  private indeterminate = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  private constructor(
    private readonly client: ZkClient,
    readonly path: string,
    private readonly intervalMs: number,
  ) {}

  /** Connects, makes its parent afresh (an earlier run's is removed) and starts writing. */
  static async start(options: {
    connectString: string;
    seed: number;
    sessionTimeoutMs: number;
    intervalMs?: number;
  }): Promise<Canary> {
    const client = await ZkClient.connect({
      connectString: options.connectString,
      sessionTimeoutMs: options.sessionTimeoutMs,
      connectTimeoutMs: 20_000,
      reconnectBackoff: LAN_RECONNECT_BACKOFF,
      auth: [loadCredentials('admin').authInfo()],
    });
    const canary = new Canary(
      client,
      canaryPath(options.seed),
      options.intervalMs ?? DEFAULT_INTERVAL_MS,
    );
    try {
      await client.deleteRecursive(canary.path);
      await client.create(canary.path, Buffer.from('zk-lab chaos canary'), {
        mode: CreateMode.PERSISTENT,
      });
    } catch (err) {
      await client.close();
      throw err;
    }
    canary.loop = canary.run();
    return canary;
  }

  /** Stops after the create in flight settles; what it acknowledged, for the judge. */
  async stop(): Promise<CanaryRecord> {
    this.stopped = true;
    await this.loop;
    await this.client.close();
    return { path: this.path, acked: [...this.acked], indeterminate: this.indeterminate };
  }

  private async run(): Promise<void> {
    for (let n = 1; !this.stopped; n++) {
      const name = canaryNode(n);
      try {
        await this.client.create(`${this.path}/${name}`, Buffer.from(String(n)), {
          mode: CreateMode.PERSISTENT,
        });
        this.acked.push(name);
      } catch {
        // Applied or not, nobody knows: the judge allows the node either way.
        this.indeterminate += 1;
      }
      await sleep(this.intervalMs);
    }
  }
}

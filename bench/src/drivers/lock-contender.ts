/**
 * One contender of `npm run bench -- locks` (locks.ts), in a process of its own: connects,
 * waits for the common start time, then acquires and releases one DistributedLock in a
 * loop until the common end time, and prints one JSON line: its acquisitions and the
 * milliseconds of each acquire (call to lease) and release (call to node gone).
 */
import { ZkClient } from '@zk-lab/zk-client';
import { DistributedLock } from '@zk-lab/zk-recipes';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ContenderInput {
  connect: string;
  path: string;
  sessionMs: number;
  /** Wall-clock times (Date.now()) of the measured stretch. */
  startAt: number;
  endAt: number;
}

export interface ContenderResult {
  acquisitions: number;
  acquireMs: number[];
  releaseMs: number[];
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as ContenderInput;
  const client = await ZkClient.connect({
    connectString: input.connect,
    sessionTimeoutMs: input.sessionMs,
  });
  const lock = new DistributedLock(client, input.path);
  await lock.start();
  const result: ContenderResult = { acquisitions: 0, acquireMs: [], releaseMs: [] };
  try {
    await sleep(Math.max(0, input.startAt - Date.now()));
    while (Date.now() < input.endAt) {
      const asked = performance.now();
      const lease = await lock.acquire();
      const held = performance.now();
      await lease.release();
      const released = performance.now();
      // An acquisition that ends past the stretch is not counted.
      if (Date.now() > input.endAt) break;
      result.acquisitions += 1;
      result.acquireMs.push(held - asked);
      result.releaseMs.push(released - held);
    }
  } finally {
    await lock.close();
    await client.close();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `lock contender: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

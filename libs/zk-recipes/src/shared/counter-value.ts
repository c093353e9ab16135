/**
 * How the counters of this family (SharedCounter, AtomicLong) keep an integer in a znode:
 * a safe integer written as a decimal string, readable from zkCli. Internal to the family.
 */
import { NodeExistsError, type ZkClient } from '@zk-lab/zk-client';

/** The counter's znode holds something that is not a safe integer in decimal. */
export class CounterDataError extends Error {
  override readonly name = 'CounterDataError';
}

/** Throws RangeError unless `value` is a safe integer. */
export function checkValue(value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`a counter value must be a safe integer, got ${value}`);
  }
}

/** The integer a counter's znode holds; CounterDataError if it holds something else. */
export function parseValue(data: Buffer, path: string): number {
  const text = data.toString('utf8').trim();
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new CounterDataError(`${path} holds ${JSON.stringify(text)}, not an integer`);
  }
  return value;
}

/** Makes the counter's parents, then its znode with `initial` unless it is there already. */
export async function ensureCounter(
  client: ZkClient,
  path: string,
  initial: number,
): Promise<void> {
  const at = path.lastIndexOf('/');
  if (at > 0) await client.ensurePath(path.slice(0, at));
  try {
    await client.create(path, String(initial));
  } catch (error) {
    if (!(error instanceof NodeExistsError)) throw error;
  }
}

/**
 * The limits of the live config. The payload's size is checked before the first write, so
 * that a refused run leaves nothing behind; the queue's depth is not a refusal but
 * backpressure, applied while enqueueing (queue-gate.ts).
 */
import {
  DEFAULT_CONFIG,
  InvalidConfigError,
  type LabConfig,
  parseConfig,
  PATHS,
} from '@zk-lab/lab-core';
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';

/** Thrown for a payload past the config's maxPayloadBytes: exit 2. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `the payload is ${bytes} bytes of JSON, more than the limit of ${limit} bytes ` +
        '(maxPayloadBytes in /config)',
    );
  }
}

/**
 * The config in force: /config parsed with the shared schema, the defaults while it is
 * absent. Bad data there is the updater's or an operator's problem, not this run's: the
 * defaults apply and `warn` says so, as the services keep their last good config.
 */
export async function readLiveConfig(
  client: ZkClient,
  warn: (message: string) => void,
): Promise<LabConfig> {
  let data: Buffer;
  try {
    ({ data } = await client.getData(PATHS.config));
  } catch (error) {
    if (error instanceof NoNodeError) return DEFAULT_CONFIG;
    throw error;
  }
  try {
    return parseConfig(data);
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    warn(`warning: /config holds bad data, so the default limits apply (${error.message})`);
    return DEFAULT_CONFIG;
  }
}

/** Refuses, with the reason, a payload the live limits do not allow. */
export function admitPayload(config: LabConfig, payloadBytes: number): void {
  if (payloadBytes > config.maxPayloadBytes) {
    throw new PayloadTooLargeError(payloadBytes, config.maxPayloadBytes);
  }
}

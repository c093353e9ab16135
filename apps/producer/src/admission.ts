/**
 * The limits of the live config, checked before the first write so that a refused run
 * leaves nothing behind. The queue's depth comes from its Stat (numChildren): the queue
 * is never listed, as its size is what is in question.
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

/** Thrown when the jobs asked for would take the queue past queueMaxDepth: exit 2. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    readonly depth: number,
    readonly limit: number,
    readonly asked: number,
  ) {
    super(
      `the queue is too full: it holds ${depth} job(s), its limit is ${limit} ` +
        `(queueMaxDepth in /config), and ${asked} more were asked for` +
        (depth < limit ? ` (room for ${limit - depth})` : ''),
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

/** The number of jobs waiting in /queue, from its Stat. */
export async function queueDepth(client: ZkClient): Promise<number> {
  const stat = await client.exists(PATHS.queue);
  return stat?.numChildren ?? 0;
}

/** Refuses, with the reason, a run the live limits do not allow. */
export async function admitJobs(
  client: ZkClient,
  config: LabConfig,
  request: { payloadBytes: number; count: number },
): Promise<void> {
  if (request.payloadBytes > config.maxPayloadBytes) {
    throw new PayloadTooLargeError(request.payloadBytes, config.maxPayloadBytes);
  }
  const depth = await queueDepth(client);
  if (depth + request.count > config.queueMaxDepth) {
    throw new QueueFullError(depth, config.queueMaxDepth, request.count);
  }
}

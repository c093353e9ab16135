/**
 * The znode layout of the master-worker system (DESIGN section 3). Every path here is
 * relative to the system's root (`ZK_ROOT`, default `/zk-lab`), which the client takes as
 * its `root` option.
 */
export const DEFAULT_ROOT = '/zk-lab';

export const PATHS = {
  /** Leader-latch participants of the masters. */
  election: '/election',
  /** The leader epoch (decimal); each new leader CAS-increments it: the fencing token. */
  epoch: '/epoch',
  /** One ephemeral node per live worker. */
  workers: '/workers',
  /** Jobs waiting for a worker, persistent-sequential. */
  queue: '/queue',
  /** `/assign/<workerId>/<jobKey>`: the tasks the leader handed to each worker. */
  assign: '/assign',
  /** `/results/<jobKey>`: exactly one per finished job. */
  results: '/results',
  /** `/dead/<jobKey>`: jobs past their attempts, or unreadable, with the reason. */
  dead: '/dead',
  /**
   * `/produced/<jobId>`: a producer's idempotency marker, created in the same transaction
   * as the job's queue node and deleted once the producer knows the create's outcome.
   */
  produced: '/produced',
  /** The live config (JSON). */
  config: '/config',
  /** One node per accepted config version, written by the config updater. */
  configHistory: '/config-history',
} as const;

/** The persistent parents every app expects (created by `ensureNamespace`). */
export const SYSTEM_PARENTS = [
  PATHS.election,
  PATHS.workers,
  PATHS.queue,
  PATHS.assign,
  PATHS.results,
  PATHS.dead,
  PATHS.produced,
] as const;

/** The name prefix of queue nodes: the server appends a 10-digit sequence. */
export const JOB_PREFIX = 'job-';

/** `job-<10 digits>`, or a producer's protected name `_c_<uuid>-job-<10 digits>`: nothing else. */
const JOB_KEY =
  /^(?:_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-)?(job-\d{10})$/;
const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Thrown for a name that is not a job node's (`job-<10 digits>`, maybe protected). */
export class NotAJobNameError extends Error {
  constructor(readonly nodeName: string) {
    super(`"${nodeName}" is not a job node name (job-<10 digits>, maybe protected)`);
    this.name = 'NotAJobNameError';
  }
}

/**
 * The job's key, `job-<seq>`, from a queue node's name. A producer's protected create
 * names the node `_c_<uuid>-job-<seq>`; the key drops that prefix and names the job in
 * `/assign`, `/results` and `/dead`, and in the queue again when the job is requeued.
 */
export function jobKey(nodeName: string): string {
  const match = JOB_KEY.exec(nodeName);
  if (match?.[1] === undefined) throw new NotAJobNameError(nodeName);
  return match[1];
}

/** Whether `nodeName` is a queue node's name. */
export function isJobName(nodeName: string): boolean {
  return JOB_KEY.test(nodeName);
}

/** The queue's sequence number of a job node name (or key). */
export function jobSequence(nodeName: string): number {
  return Number(jobKey(nodeName).slice(JOB_PREFIX.length));
}

/** Queue order: by sequence number, whatever the protected prefix. */
export function compareJobNames(a: string, b: string): number {
  return jobSequence(a) - jobSequence(b);
}

/** Whether `id` can name a worker (one path segment, no surprises). */
export function isValidWorkerId(id: string): boolean {
  return WORKER_ID.test(id);
}

export const workerPath = (workerId: string): string => `${PATHS.workers}/${workerId}`;
export const assignDir = (workerId: string): string => `${PATHS.assign}/${workerId}`;
export const taskPath = (workerId: string, key: string): string =>
  `${PATHS.assign}/${workerId}/${key}`;
export const queuePath = (nameOrKey: string): string => `${PATHS.queue}/${nameOrKey}`;
export const resultPath = (key: string): string => `${PATHS.results}/${key}`;
export const deadPath = (key: string): string => `${PATHS.dead}/${key}`;
export const producedPath = (jobId: string): string => `${PATHS.produced}/${jobId}`;

/**
 * The chaos verdict (DESIGN section 8): the guarantees, checked on evidence the system under
 * test did not write for itself. Pure: it takes the evidence and returns the violations, so
 * a test can plant each kind of violation and watch the judge fail.
 *
 * - every job the producer confirmed ends with exactly one result or dead record (by job
 *   id); a job whose create was never confirmed ends with at most one;
 * - no result or dead record names a job the producer never recorded;
 * - nothing is left in /queue or /assign;
 * - a job ran at most once more than its recorded failures and hand-backs;
 * - the fencing tokens of one job's executions strictly increase, in the order the
 *   executions were logged;
 * - the fresh batch, produced after the last heal, completed (liveness);
 * - every ZooKeeper server, read on its own after a sync, holds the same records: a
 *   disagreement is ZooKeeper's fault, not the apps', and is named as such, with what each
 *   server holds (the other violations are then judged on the first read's records);
 * - every create the canary (canary.ts) saw acknowledged is there: a missing one is a
 *   write ZooKeeper lost, also named as ZooKeeper's fault.
 */
import type { Evidence, ExecutionLine, Settlement } from './evidence';

export type ViolationKind =
  | 'lost'
  | 'duplicate'
  | 'unrecorded'
  | 'left-over'
  | 'extra-execution'
  | 'token-order'
  | 'fresh-batch'
  | 'replica-divergence'
  | 'zookeeper-lost-write'
  | 'unreadable';

/** The kinds that are ZooKeeper's own faults, not the apps'. */
export const ZOOKEEPER_VIOLATIONS: ReadonlySet<ViolationKind> = new Set([
  'replica-divergence',
  'zookeeper-lost-write',
]);

export interface Violation {
  kind: ViolationKind;
  /** The job it is about, when there is one. */
  jobId?: string;
  detail: string;
}

export interface VerdictCounts {
  /** Jobs the producer confirmed. */
  created: number;
  /** Jobs whose create was sent but never confirmed. */
  indeterminate: number;
  /** Of those, how many did exist (they have a record). */
  indeterminateCreated: number;
  results: number;
  dead: number;
  executions: number;
  /** Executions beyond the first of a job: each must follow a failure or a hand-back. */
  reExecutions: number;
  /** Failures and hand-backs recorded on the final records. */
  failures: number;
  handBacks: number;
  /** The canary's creates: acknowledged, of unknown outcome, and acknowledged but gone. */
  canary: { acked: number; indeterminate: number; lost: number } | null;
}

export interface Verdict {
  ok: boolean;
  violations: Violation[];
  counts: VerdictCounts;
}

/** The fresh batch's outcome, as the run saw it. */
export interface FreshBatch {
  jobs: number;
  /** Why it did not complete; null when every job of it has a record. */
  failure: string | null;
}

/** How many paths or nodes a violation names before it only counts the rest. */
const LISTED = 20;

export function judge(evidence: Evidence, fresh: FreshBatch | null): Verdict {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, detail: string, jobId?: string) =>
    violations.push(jobId === undefined ? { kind, detail } : { kind, jobId, detail });

  for (const line of evidence.unreadable) add('unreadable', line);
  for (const { path, held } of evidence.replicas.slice(0, LISTED)) {
    const copies = Object.entries(held)
      .map(([server, value]) => `${server}: ${value}`)
      .join('; ');
    add('replica-divergence', `ZooKeeper's servers disagree on ${path} after a sync: ${copies}`);
  }
  if (evidence.replicas.length > LISTED) {
    add(
      'replica-divergence',
      `and on ${evidence.replicas.length - LISTED} more path(s) (the report lists ${LISTED})`,
    );
  }
  let canaryLost = 0;
  if (evidence.canary !== null) {
    const present = new Set(evidence.canary.present);
    const lost = evidence.canary.acked.filter((name) => !present.has(name));
    canaryLost = lost.length;
    if (lost.length > 0) {
      const path = evidence.canary.path;
      add(
        'zookeeper-lost-write',
        `ZooKeeper acknowledged ${lost.length} create(s) of the canary that are gone: ` +
          lost
            .slice(0, LISTED)
            .map((name) => `${path}/${name}`)
            .join(', ') +
          (lost.length > LISTED ? ', …' : ''),
      );
    }
  }

  const intents = new Set<string>();
  const confirmed = new Set<string>();
  for (const line of evidence.produced) {
    intents.add(line.jobId);
    if (line.created === true) confirmed.add(line.jobId);
  }

  const byJob = new Map<string, Settlement[]>();
  for (const settlement of evidence.settlements) {
    if (settlement.jobId === null) continue; // an unreadable node buried by the system
    const list = byJob.get(settlement.jobId) ?? [];
    list.push(settlement);
    byJob.set(settlement.jobId, list);
  }

  let indeterminateCreated = 0;
  for (const jobId of intents) {
    const records = byJob.get(jobId) ?? [];
    if (records.length > 1) {
      add(
        'duplicate',
        `settled ${records.length} times: ${records.map(describe).join(', ')}`,
        jobId,
      );
    }
    if (confirmed.has(jobId)) {
      if (records.length === 0) add('lost', 'created, but has no result and no dead record', jobId);
    } else if (records.length > 0) {
      indeterminateCreated += 1;
    }
  }
  for (const [jobId, records] of byJob) {
    if (!intents.has(jobId)) {
      add(
        'unrecorded',
        `${records.map(describe).join(', ')} for a job the producer never recorded`,
        jobId,
      );
    }
  }

  for (const key of evidence.queued) add('left-over', `still queued: /queue/${key}`);
  for (const task of evidence.assigned) add('left-over', `still assigned: /assign/${task}`);

  const runs = new Map<string, ExecutionLine[]>();
  for (const line of evidence.executions) {
    const list = runs.get(line.jobId) ?? [];
    list.push(line);
    runs.set(line.jobId, list);
    if (!intents.has(line.jobId)) {
      add(
        'unrecorded',
        `executed on ${line.workerId} but never recorded by the producer`,
        line.jobId,
      );
    }
  }
  let reExecutions = 0;
  for (const [jobId, lines] of runs) {
    reExecutions += lines.length - 1;
    const record = byJob.get(jobId)?.[0];
    if (record !== undefined) {
      const allowed = 1 + record.failures + record.handBacks;
      if (lines.length > allowed) {
        add(
          'extra-execution',
          `ran ${lines.length} times, allowed ${allowed} (1 + ${record.failures} failure(s) + ` +
            `${record.handBacks} hand-back(s)): ${lines.map(describeRun).join(', ')}` +
            (record.writtenBy === undefined
              ? ''
              : `; the ${record.kind} was written by ${record.writtenBy}`),
          jobId,
        );
      }
    }
    for (let i = 1; i < lines.length; i++) {
      const before = lines[i - 1]!;
      const now = lines[i]!;
      if (BigInt(now.token) <= BigInt(before.token)) {
        add(
          'token-order',
          `execution ${describeRun(now)} came after ${describeRun(before)} with a token not greater`,
          jobId,
        );
      }
    }
  }

  if (fresh !== null && fresh.failure !== null) {
    add(
      'fresh-batch',
      `the fresh batch of ${fresh.jobs} job(s) did not complete: ${fresh.failure}`,
    );
  }

  let failures = 0;
  let handBacks = 0;
  for (const records of byJob.values()) {
    failures += records[0]!.failures;
    handBacks += records[0]!.handBacks;
  }
  return {
    ok: violations.length === 0,
    violations,
    counts: {
      created: confirmed.size,
      indeterminate: intents.size - confirmed.size,
      indeterminateCreated,
      results: evidence.settlements.filter((s) => s.kind === 'result').length,
      dead: evidence.settlements.filter((s) => s.kind === 'dead').length,
      executions: evidence.executions.length,
      reExecutions,
      failures,
      handBacks,
      canary:
        evidence.canary === null
          ? null
          : {
              acked: evidence.canary.acked.length,
              indeterminate: evidence.canary.indeterminate,
              lost: canaryLost,
            },
    },
  };
}

function describe(settlement: Settlement): string {
  return `${settlement.kind === 'result' ? '/results' : '/dead'}/${settlement.key}`;
}

function describeRun(line: ExecutionLine): string {
  return `${line.workerId} attempt ${line.attempt} token ${line.token}`;
}

/**
 * The jobs panel's state, derived only from tree changes (DESIGN section 4): a job is
 * queued when a node appears under <root>/queue, assigned when the leader writes
 * <root>/assign/<worker>/<job>, done when <root>/results/<job> appears, dead when
 * <root>/dead/<job> does. A requeued job comes back to the queue under the same key.
 */
import type { TreeChange } from '../protocol';

export type JobState = 'queued' | 'assigned' | 'done' | 'dead';

export interface JobStep {
  state: JobState;
  worker: string | null;
  at: number;
}

export interface JobView {
  /** `job-<seq>`, the name the job has in /assign, /results and /dead. */
  key: string;
  state: JobState;
  worker: string | null;
  /** Times it was queued: 2 or more means it was given back (requeued). */
  queuedTimes: number;
  updatedAt: number;
  steps: JobStep[];
}

/** `job-<10 digits>`, maybe behind a producer's protected prefix `_c_<uuid>-`. */
const JOB_NAME = /(?:^|-)(job-\d{10})$/;

/** What a path under the root says about a job, or null when it says nothing. */
export function jobStepOf(
  root: string,
  path: string,
): { key: string; state: JobState; worker: string | null } | null {
  const prefix = root === '/' ? '/' : `${root}/`;
  if (!path.startsWith(prefix)) return null;
  const segments = path.slice(prefix.length).split('/');
  const key = JOB_NAME.exec(segments[segments.length - 1] ?? '')?.[1];
  if (key === undefined) return null;
  switch (segments[0]) {
    case 'queue':
      return segments.length === 2 ? { key, state: 'queued', worker: null } : null;
    case 'assign':
      return segments.length === 3 ? { key, state: 'assigned', worker: segments[1] ?? null } : null;
    case 'results':
      return segments.length === 2 ? { key, state: 'done', worker: null } : null;
    case 'dead':
      return segments.length === 2 ? { key, state: 'dead', worker: null } : null;
    default:
      return null;
  }
}

export class JobTracker {
  private readonly jobs = new Map<string, JobView>();

  constructor(
    private readonly root: string,
    private readonly limit = 50,
  ) {}

  /** Applies a batch of changes; returns whether any job moved. */
  apply(changes: readonly TreeChange[], now: number): boolean {
    let moved = false;
    for (const change of changes) {
      // Only arrivals move a job: a queue or task node's deletion is the other half of the
      // same transaction that creates its next node.
      if (change.kind !== 'created') continue;
      const step = jobStepOf(this.root, change.path);
      if (step === null) continue;
      const job = this.jobs.get(step.key);
      if (job === undefined) {
        this.jobs.set(step.key, {
          key: step.key,
          state: step.state,
          worker: step.worker,
          queuedTimes: step.state === 'queued' ? 1 : 0,
          updatedAt: now,
          steps: [{ ...step, at: now }],
        });
      } else {
        // A new object, so a panel that memoizes rows sees the change.
        this.jobs.set(step.key, {
          ...job,
          state: step.state,
          worker: step.worker ?? (step.state === 'done' ? job.worker : null),
          queuedTimes: job.queuedTimes + (step.state === 'queued' ? 1 : 0),
          updatedAt: now,
          steps: [...job.steps, { ...step, at: now }],
        });
      }
      moved = true;
    }
    if (moved) this.trim();
    return moved;
  }

  /** Newest first (by the time of the last move). */
  list(): JobView[] {
    return [...this.jobs.values()].sort(
      (a, b) => b.updatedAt - a.updatedAt || (a.key < b.key ? 1 : -1),
    );
  }

  clear(): void {
    this.jobs.clear();
  }

  private trim(): void {
    if (this.jobs.size <= this.limit) return;
    const keep = new Set(
      this.list()
        .slice(0, this.limit)
        .map((job) => job.key),
    );
    for (const key of this.jobs.keys()) if (!keep.has(key)) this.jobs.delete(key);
  }
}

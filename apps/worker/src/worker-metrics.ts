/**
 * The worker's own Prometheus metrics, beside the service metrics of lab-core (session
 * state, config version and reloads) in the same registry.
 */
import type { ServiceMetrics } from '@zk-lab/lab-core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TaskExecutor } from './task-executor';
import type { WorkerRegistration } from './worker-registration';

/**
 * How a run ended, as counted: recorded as succeeded or failed, or its outcome dropped (the
 * task was taken back, handed back, recorded already, or its session ended: the job itself
 * is not lost).
 */
export const JOB_OUTCOMES = ['succeeded', 'failed', 'timed_out', 'dropped'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

export class WorkerMetrics {
  readonly registry: Registry;
  readonly jobs: Counter<'outcome'>;
  readonly jobDuration: Histogram<'type'>;
  readonly jobsRunning: Gauge;
  readonly registered: Gauge;

  constructor(service: ServiceMetrics) {
    this.registry = service.registry;
    const registers = [this.registry];
    this.jobs = new Counter({
      name: 'zklab_worker_job_runs_total',
      help:
        'Job runs by outcome: succeeded, failed, timed_out (both requeued), dropped (outcome ' +
        'not recorded by this run: taken back, handed back, already recorded, session ended)',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome shows from the start, at 0.
    for (const outcome of JOB_OUTCOMES) this.jobs.inc({ outcome }, 0);
    this.jobDuration = new Histogram({
      name: 'zklab_job_duration_seconds',
      help: 'Time from the start of a job handler to its end (or its abandonment), by type',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.jobsRunning = new Gauge({
      name: 'zklab_jobs_running',
      help: 'Jobs running now (their task nodes not yet completed)',
      registers,
    });
    this.registered = new Gauge({
      name: 'zklab_worker_registered',
      help: '1 while this worker is registered (/workers/<id> of its current session)',
      registers,
    });
  }
}

/** Keeps the worker's metrics current from the registration and the executor's events. */
export function trackWorkerMetrics(
  metrics: WorkerMetrics,
  registration: WorkerRegistration,
  executor: TaskExecutor,
): void {
  metrics.registered.set(0);
  registration.on('registered', () => metrics.registered.set(1));
  registration.on('unregistered', () => metrics.registered.set(0));
  executor.on('started', () => metrics.jobsRunning.inc());
  executor.on('finished', (_key, outcome, handlerMs, type) => {
    metrics.jobsRunning.dec();
    metrics.jobs.inc({ outcome });
    metrics.jobDuration.observe({ type }, handlerMs / 1_000);
  });
}

/** The master's Prometheus metrics, on the registry every service has. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { createServiceMetrics, type ServiceMetrics } from '@zk-lab/lab-core';

export interface MasterMetrics extends ServiceMetrics {
  isLeader: Gauge;
  epoch: Gauge;
  workersAlive: Gauge;
  assigned: Counter;
  requeued: Counter<'reason'>;
  dead: Counter<'reason'>;
  rounds: Counter;
  transactionsRefused: Counter<'reason'>;
  transitions: Counter<'outcome'>;
  nodesSkipped: Counter<'reason'>;
  queueDepth: Gauge;
  termRunning: Gauge;
  lastRound: Gauge;
  roundDuration: Histogram;
}

/** The gauges only a leader's term keeps: reset on step-down so followers export none stale. */
export function resetLeaderGauges(metrics: MasterMetrics): void {
  metrics.isLeader.set(0);
  metrics.termRunning.set(0);
  metrics.workersAlive.reset();
  metrics.queueDepth.reset();
  metrics.lastRound.reset();
}

export function createMasterMetrics(id: string): MasterMetrics {
  const base = createServiceMetrics('master', id);
  const registers = [base.registry];
  return {
    ...base,
    // Kept by the leader's rounds: a scrape never waits on ZooKeeper (nor fails with it).
    queueDepth: new Gauge({
      name: 'zklab_queue_depth',
      help: 'Jobs waiting in /queue, as the leader’s last round read them (leader only)',
      registers,
    }),
    termRunning: new Gauge({
      name: 'zklab_master_term_running',
      help: '1 while this master leads and its term schedules (epoch claimed, rounds armed)',
      registers,
    }),
    lastRound: new Gauge({
      name: 'zklab_last_round_timestamp_seconds',
      help: 'Unix time of the last completed scheduling round (leader only)',
      registers,
    }),
    roundDuration: new Histogram({
      name: 'zklab_round_duration_seconds',
      help: 'Duration of completed scheduling rounds (read, reconcile, assign)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    transitions: new Counter({
      name: 'zklab_transitions_total',
      help: 'Leader transitions by outcome (done, moot, conflict, fenced, fence_broken, unknown)',
      labelNames: ['outcome'],
      registers,
    }),
    nodesSkipped: new Counter({
      name: 'zklab_nodes_skipped_total',
      help: 'Nodes a round could not read and skipped, by error (NoAuthError, …)',
      labelNames: ['reason'],
      registers,
    }),
    isLeader: new Gauge({
      name: 'zklab_master_is_leader',
      help: '1 while this master leads',
      registers,
    }),
    epoch: new Gauge({
      name: 'zklab_epoch',
      help: 'The epoch of this master’s current or last term as leader',
      registers,
    }),
    workersAlive: new Gauge({
      name: 'zklab_workers_alive',
      help: 'Registered workers, as the leader last read them',
      registers,
    }),
    assigned: new Counter({
      name: 'zklab_jobs_assigned_total',
      help: 'Jobs this master assigned to a worker',
      registers,
    }),
    requeued: new Counter({
      name: 'zklab_jobs_requeued_total',
      help: 'Tasks this master took back from a departed worker, by reason',
      labelNames: ['reason'],
      registers,
    }),
    dead: new Counter({
      name: 'zklab_jobs_dead_total',
      help: 'Jobs this master moved to /dead, by reason',
      labelNames: ['reason'],
      registers,
    }),
    rounds: new Counter({
      name: 'zklab_scheduling_rounds_total',
      help: 'Scheduling rounds run as leader',
      registers,
    }),
    transactionsRefused: new Counter({
      name: 'zklab_transactions_refused_total',
      help: 'Leader transactions the server refused, by reason (fenced, fence_broken, conflict)',
      labelNames: ['reason'],
      registers,
    }),
  };
}

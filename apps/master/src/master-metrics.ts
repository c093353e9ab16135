/** The master's Prometheus metrics, on the registry every service has. */
import { Counter, Gauge } from 'prom-client';
import type { ZkClient } from '@zk-lab/zk-client';
import { createServiceMetrics, PATHS, type ServiceMetrics } from '@zk-lab/lab-core';

export interface MasterMetrics extends ServiceMetrics {
  isLeader: Gauge;
  epoch: Gauge;
  workersAlive: Gauge;
  assigned: Counter;
  requeued: Counter<'reason'>;
  dead: Counter<'reason'>;
  rounds: Counter;
  transactionsRefused: Counter<'reason'>;
}

export function createMasterMetrics(id: string, client: () => ZkClient | null): MasterMetrics {
  const base = createServiceMetrics('master', id);
  const registers = [base.registry];
  new Gauge({
    name: 'zklab_queue_depth',
    help: 'Jobs waiting in /queue (read when scraped)',
    registers,
    async collect() {
      const zk = client();
      const stat = zk === null || zk.state !== 'CONNECTED' ? null : await zk.exists(PATHS.queue);
      if (stat !== null) this.set(stat.numChildren);
    },
  });
  return {
    ...base,
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
      help: 'Leader transactions the server refused, by reason (fenced, conflict)',
      labelNames: ['reason'],
      registers,
    }),
  };
}

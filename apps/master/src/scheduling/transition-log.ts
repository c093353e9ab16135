/**
 * TransitionLog: counts and logs how each leader transition ended. It decides nothing: a
 * fence outcome is returned to the term, which steps down (leader-term.ts).
 */
import type { LogSink } from '@zk-lab/lab-core';
import type { MasterMetrics } from '../master-metrics';
import type { TransitionOutcome } from './task-transitions';

export interface TermTotals {
  rounds: number;
  assigned: number;
  requeued: number;
  dead: number;
  /** Transactions refused by the fence (`/epoch` moved, or the fence broken). */
  fenced: number;
  /** Transactions refused for another reason (a node in the way). */
  conflicts: number;
  /** Transactions whose outcome the connection took: the next round sees what happened. */
  unknown: number;
  /** Nodes skipped because they could not be read (NoAuth, …): they block nothing. */
  skipped: number;
}

export type Done = 'assigned' | 'requeued' | 'folder';

export type SettledOutcome = TransitionOutcome & { dead?: string };

export class TransitionLog {
  readonly totals: TermTotals = {
    rounds: 0,
    assigned: 0,
    requeued: 0,
    dead: 0,
    fenced: 0,
    conflicts: 0,
    unknown: 0,
    skipped: 0,
  };

  constructor(
    private readonly metrics: MasterMetrics,
    private readonly log: LogSink & { debug(obj: object, msg: string): void },
    private readonly epoch: () => number | null,
  ) {}

  record(outcome: SettledOutcome, fields: Record<string, string>, done: Done): void {
    const { log, metrics, totals } = this;
    const epoch = this.epoch();
    metrics.transitions.inc({ outcome: outcome.kind });
    switch (outcome.kind) {
      case 'done':
        if (outcome.dead !== undefined) {
          totals.dead++;
          metrics.dead.inc({ reason: outcome.dead.startsWith('failed') ? 'attempts' : 'invalid' });
          log.warn({ ...fields, epoch, reason: outcome.dead }, 'job moved to /dead');
        } else if (done === 'assigned') {
          totals.assigned++;
          metrics.assigned.inc();
          log.debug({ ...fields, epoch }, 'job assigned');
        } else if (done === 'requeued') {
          totals.requeued++;
          metrics.requeued.inc({ reason: 'worker_vanished' });
          log.info({ ...fields, epoch }, 'task requeued');
        }
        return;
      case 'moot':
        log.debug({ ...fields, epoch, detail: outcome.detail }, 'transition moot');
        return;
      case 'conflict':
        totals.conflicts++;
        metrics.transactionsRefused.inc({ reason: 'conflict' });
        log.warn({ ...fields, epoch, detail: outcome.detail }, 'transition refused');
        return;
      case 'fenced':
        totals.fenced++;
        metrics.transactionsRefused.inc({ reason: 'fenced' });
        log.error(
          { ...fields, epoch },
          'fenced: /epoch moved on or this master’s election node is gone',
        );
        return;
      case 'fence_broken':
        totals.fenced++;
        metrics.transactionsRefused.inc({ reason: 'fence_broken' });
        log.error(
          { ...fields, epoch, detail: outcome.detail },
          'the fence is broken (/epoch deleted or unreadable)',
        );
        return;
      case 'unknown':
        totals.unknown++;
        log.warn(
          { ...fields, epoch },
          'transition outcome unknown (connection lost); the next round sees it',
        );
        return;
    }
  }

  /** A node the round could not read: skipped, so that it blocks nothing else. */
  skipped(path: string, error: Error): void {
    this.totals.skipped++;
    this.metrics.nodesSkipped.inc({ reason: error.name });
    this.log.warn(
      { node: path, epoch: this.epoch(), err: error },
      `cannot read ${path} (${error.name}); skipping it`,
    );
  }
}

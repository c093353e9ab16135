import type { LabConfig } from '@zk-lab/lab-core';
import type { MasterRole, SchedulerHealth } from './election/master-election';
import type { TermTotals } from './scheduling/leader-term';

/** The body of GET /status. */
export interface MasterStatus {
  role: 'master';
  id: string;
  /** leader, follower, starting or stopped. */
  state: MasterRole | 'starting';
  leaderId: string | null;
  session: { id: string | null; state: string };
  /** The epoch of this master's current (or last) term. */
  epoch: number | null;
  queueDepth: number | null;
  /** Live workers with their capacity and assigned tasks (leader only: followers do not read them). */
  workers: { id: string; capacity: number; assigned: number }[] | null;
  /** What this master did in its current (or last) term. */
  totals: TermTotals | null;
  /** What /health judges: role, term running, age of the last round, the last fence problem. */
  scheduler: SchedulerHealth | null;
  config: {
    version: number | null;
    values: LabConfig;
    rejected: { version: number; error: string } | null;
    /** Where the config in force came from: `/config`, its history (at start), or nowhere. */
    source: 'node' | 'history' | 'defaults';
  } | null;
}

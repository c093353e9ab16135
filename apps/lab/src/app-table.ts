import { alignColumns } from './text-table';
import type { AppReport } from './app-status';
import type { SystemCounts } from './system-counts';

const HEADER = ['app', 'kind', 'pid', 'state', 'role', 'port'];

function row(app: AppReport): string[] {
  return [
    app.name,
    app.kind,
    app.pid === null ? '-' : String(app.pid),
    app.state,
    app.role,
    app.port === null ? '-' : String(app.port),
  ];
}

/** One row per app, columns aligned (as the servers' table). */
export function formatAppTable(apps: AppReport[]): string {
  const table = [HEADER, ...apps.map(row)];
  return alignColumns(table);
}

/** "2 workers registered (w1 w2) · queue 0 · results 120 · dead 0" */
export function formatCounts(counts: SystemCounts | null): string {
  if (counts === null) return 'ZooKeeper: no answer (the counts are unknown)';
  const workers = counts.workers.length > 0 ? ` (${counts.workers.join(' ')})` : '';
  return [
    `${counts.workers.length} worker(s) registered${workers}`,
    `queue ${counts.queue}`,
    `results ${counts.results}`,
    `dead ${counts.dead}`,
  ].join(' · ');
}

import { alignColumns } from './text-table';
import type { NodeStatus } from '@zk-lab/deploy';

const HEADER = [
  'server',
  'state',
  'mode',
  'pid',
  'port',
  'latency min/avg/max',
  'znodes',
  'clients',
  'outstanding',
  'watches',
];

/** The columns from the latency on, for a server that reports nothing. */
const NO_REPORT = ['-', '-', '-', '-', '-'];

function row(status: NodeStatus): string[] {
  const id = String(status.id);
  const port = String(status.clientPort);
  if (status.state === 'down') return [id, 'down', '-', '-', port, ...NO_REPORT];
  if (status.state === 'paused') return [id, 'paused', '-', String(status.pid), port, ...NO_REPORT];
  const report = status.report;
  if (report === null) return [id, 'up', 'not serving', String(status.pid), port, ...NO_REPORT];
  const { min, avg, max } = report.latency;
  return [
    id,
    'up',
    report.mode,
    String(status.pid),
    port,
    `${min}/${avg}/${max} ms`,
    String(report.znodes),
    // srvr counts the connection that asks it; the column shows the other clients.
    String(Math.max(0, report.connections - 1)),
    String(report.outstanding),
    status.watches === null ? '-' : String(status.watches),
  ];
}

/** One row per server, columns aligned. */
export function formatStatusTable(rows: NodeStatus[]): string {
  const table = [HEADER, ...rows.map(row)];
  return alignColumns(table);
}

/** A one-line summary of the roles, e.g. "1 leader, 2 followers" or "no quorum". */
export function summarise(rows: NodeStatus[]): string {
  const modes = rows.flatMap((r) => (r.state === 'up' && r.report ? [r.report.mode] : []));
  const leaders = modes.filter((m) => m === 'leader').length;
  const followers = modes.filter((m) => m === 'follower').length;
  const down = rows.filter((r) => r.state !== 'up').length;
  if (modes.includes('standalone')) return 'standalone';
  const parts = [`${leaders} leader`, `${followers} follower${followers === 1 ? '' : 's'}`];
  if (down > 0) parts.push(`${down} down or paused`);
  return leaders === 0 ? `no leader (${parts.slice(1).join(', ')})` : parts.join(', ');
}

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

function row(status: NodeStatus): string[] {
  const base = [String(status.id)];
  if (status.state === 'down')
    return [...base, 'down', '-', '-', String(status.clientPort), '-', '-', '-', '-', '-'];
  if (status.state === 'paused') {
    return [
      ...base,
      'paused',
      '-',
      String(status.pid),
      String(status.clientPort),
      '-',
      '-',
      '-',
      '-',
      '-',
    ];
  }
  const report = status.report;
  if (report === null) {
    return [
      ...base,
      'up',
      'not serving',
      String(status.pid),
      String(status.clientPort),
      '-',
      '-',
      '-',
      '-',
      '-',
    ];
  }
  const { min, avg, max } = report.latency;
  return [
    ...base,
    'up',
    report.mode,
    String(status.pid),
    String(status.clientPort),
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
  const widths = HEADER.map((_, col) => Math.max(...table.map((r) => (r[col] ?? '').length)));
  return table
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
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

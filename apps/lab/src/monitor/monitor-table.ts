/** The monitor's reading as text for people: a header line naming the leader, one row per server, then the problems. */
import { alignColumns } from '../text-table';
import type { MonitorDocument } from './monitor-document';

const HEADER = [
  'server',
  'state',
  'mode',
  'zxid epoch/counter',
  'latency ms',
  'received',
  'sent',
  'outst',
  'conns',
  'watches',
  'ephem',
  'znodes',
  'data',
  'fds',
  'in/s',
  'out/s',
  'writes/s',
];

const dash = (value: number | null | undefined): string =>
  value === null || value === undefined ? '-' : String(value);

const rate = (value: number | null | undefined): string =>
  value === null || value === undefined ? '-' : value.toFixed(1);

/** Bytes in the largest unit that keeps a number of at least 1. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function stateCell(server: MonitorDocument['servers'][number]): string {
  if (server.state !== 'up') return server.state;
  return server.serving === false ? 'out of quorum' : 'up';
}

export function formatMonitor(doc: MonitorDocument): string {
  const leader = doc.leader === null ? 'NO LEADER' : `leader ${doc.leader}`;
  const writes = doc.writesPerSecond === null ? '' : ` · ${rate(doc.writesPerSecond)} writes/s`;
  const head = `${doc.time.slice(11, 19)} ${doc.status.toUpperCase()} · ${leader}${writes} · ${doc.servers.length} servers (${doc.connectString})`;
  const rows = doc.servers.map((s) => [
    s.server,
    stateCell(s),
    s.mode ?? '-',
    s.zxid === null ? '-' : `${s.zxid.epoch}/${s.zxid.counter}`,
    s.latency === null ? '-' : `${s.latency.min}/${s.latency.avg}/${s.latency.max}`,
    dash(s.received),
    dash(s.sent),
    dash(s.outstanding),
    dash(s.connections),
    dash(s.watches),
    dash(s.ephemerals),
    dash(s.znodes),
    formatBytes(s.dataSize),
    dash(s.openFileDescriptors),
    rate(s.rates?.receivedPerSecond),
    rate(s.rates?.sentPerSecond),
    rate(s.rates?.writesPerSecond),
  ]);
  const problems = doc.problems.map((p) => `${p.level}: ${p.message}`);
  return [head, alignColumns([HEADER, ...rows]), ...problems].join('\n');
}

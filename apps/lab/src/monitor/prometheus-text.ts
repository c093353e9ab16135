/**
 * The reading in the Prometheus text exposition format, through prom-client's registry (a
 * fresh registry per reading: a server that stopped answering loses its samples rather than
 * keeping stale ones). Every per-server metric has one sample per server, labelled
 * `server="host:port"`; counters the servers keep are exposed as gauges of their value.
 */
import { Gauge, Registry } from 'prom-client';
import type { MonitorDocument } from './monitor-document';
import { EXIT_CODES } from './thresholds';

type Server = MonitorDocument['servers'][number];

/** Per-server metrics: name, help, and how to read the value (null: no sample). */
const SERVER_METRICS: [string, string, (s: Server) => number | null][] = [
  [
    'zk_monitor_up',
    'The server answered four-letter words (1) or not (0).',
    (s) => (s.state === 'up' ? 1 : 0),
  ],
  [
    'zk_monitor_serving',
    'The server serves clients (1) or is out of quorum (0).',
    (s) => (s.serving === null ? null : s.serving ? 1 : 0),
  ],
  [
    'zk_monitor_leader',
    'The server leads or runs standalone (1) or not (0).',
    (s) => (s.mode === 'leader' || s.mode === 'standalone' ? 1 : 0),
  ],
  [
    'zk_monitor_zxid_epoch',
    'The epoch of the last zxid the server saw.',
    (s) => s.zxid?.epoch ?? null,
  ],
  [
    'zk_monitor_zxid_counter',
    'The counter of the last zxid the server saw.',
    (s) => s.zxid?.counter ?? null,
  ],
  [
    'zk_monitor_latency_min_ms',
    "The server's minimum request latency since it started.",
    (s) => s.latency?.min ?? null,
  ],
  [
    'zk_monitor_latency_avg_ms',
    "The server's average request latency since it started.",
    (s) => s.latency?.avg ?? null,
  ],
  [
    'zk_monitor_latency_max_ms',
    "The server's maximum request latency since it started.",
    (s) => s.latency?.max ?? null,
  ],
  ['zk_monitor_received', 'Requests received since the server started.', (s) => s.received],
  ['zk_monitor_sent', 'Answers sent since the server started.', (s) => s.sent],
  [
    'zk_monitor_outstanding_requests',
    'Requests queued and not yet answered.',
    (s) => s.outstanding,
  ],
  ['zk_monitor_connections', 'Client connections.', (s) => s.connections],
  ['zk_monitor_watches', 'Watches set on the server.', (s) => s.watches],
  ['zk_monitor_ephemerals', 'Ephemeral znodes.', (s) => s.ephemerals],
  ['zk_monitor_znodes', 'Znodes in the data tree.', (s) => s.znodes],
  ['zk_monitor_data_size_bytes', 'Approximate size of the data tree.', (s) => s.dataSize],
  [
    'zk_monitor_open_file_descriptors',
    'Open file descriptors of the server process.',
    (s) => s.openFileDescriptors,
  ],
  [
    'zk_monitor_received_per_second',
    'Requests received per second between the last two readings.',
    (s) => s.rates?.receivedPerSecond ?? null,
  ],
  [
    'zk_monitor_sent_per_second',
    'Answers sent per second between the last two readings.',
    (s) => s.rates?.sentPerSecond ?? null,
  ],
  [
    'zk_monitor_writes_per_second',
    'Transactions per second (zxid counter) between the last two readings.',
    (s) => s.rates?.writesPerSecond ?? null,
  ],
];

export async function prometheusText(doc: MonitorDocument): Promise<string> {
  const registry = new Registry();
  for (const [name, help, read] of SERVER_METRICS) {
    const gauge = new Gauge({ name, help, labelNames: ['server'], registers: [registry] });
    for (const server of doc.servers) {
      const value = read(server);
      if (value !== null) gauge.set({ server: server.server }, value);
    }
  }
  new Gauge({
    name: 'zk_monitor_status',
    help: 'The verdict: 0 ok, 1 warning, 2 critical (the exit code).',
    registers: [registry],
  }).set(EXIT_CODES[doc.status]);
  return registry.metrics();
}

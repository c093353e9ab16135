/** One reading, its rates and its verdict as one document: what --json prints, and what the table and the Prometheus text are made from. */
import type { EnsembleReading, ServerReading } from './ensemble-reading';
import type { EnsembleRates, ServerRates } from './rates';
import { EXIT_CODES, type Problem, type Status, type Verdict } from './thresholds';

export interface MonitorDocument {
  /** When the reading was taken (ISO 8601). */
  time: string;
  connectString: string;
  status: Status;
  exitCode: number;
  /** The leading server (`host:port`), or null when none leads. */
  leader: string | null;
  /** The ensemble's writes per second; null on the first reading. */
  writesPerSecond: number | null;
  problems: Problem[];
  /** The config line that allows the words the monitor needs, when a server refused one. */
  allowLine: string | null;
  servers: (ServerReading & { rates: ServerRates | null })[];
}

export function monitorDocument(
  connectString: string,
  reading: EnsembleReading,
  rates: EnsembleRates | null,
  verdict: Verdict,
): MonitorDocument {
  return {
    time: new Date(reading.at).toISOString(),
    connectString,
    status: verdict.status,
    exitCode: EXIT_CODES[verdict.status],
    leader: reading.leader,
    writesPerSecond: rates?.writesPerSecond ?? null,
    problems: verdict.problems,
    allowLine: verdict.allowLine,
    servers: reading.servers.map((s) => ({ ...s, rates: rates?.servers.get(s.server) ?? null })),
  };
}

/**
 * One second of the dashboard's charts, from two successive readings: the servers'
 * four-letter words (requests, the leader's zxid counter, latency) and the namespace's
 * counts (queue depth, finished jobs). Pure; a rate with no earlier reading, or across a
 * restart or a new epoch, is null, never a guess (see monitor/rates.ts).
 */
import type { Sample } from '@zk-lab/dashboard';
import type { EnsembleReading } from '../monitor/ensemble-reading';
import { ratesBetween } from '../monitor/rates';

/** The namespace's numbers at one moment (lab layout only). */
export interface CountsAt {
  at: number;
  queued: number;
  /** Results recorded so far (one per finished job). */
  results: number;
}

export function sampleOf(
  previous: EnsembleReading | null,
  current: EnsembleReading,
  counts: { previous: CountsAt | null; current: CountsAt | null },
  idOf: (server: string) => number,
): Sample {
  const rates = ratesBetween(previous, current);
  const received =
    rates === null ? [] : [...rates.servers.values()].map((r) => r.receivedPerSecond);
  const known = received.filter((r): r is number => r !== null);
  const leaderRates = current.leader === null ? undefined : rates?.servers.get(current.leader);
  const latencies = current.servers.flatMap((s) =>
    s.state === 'up' && s.serving === true && s.latency !== null ? [s.latency] : [],
  );
  const zxids: Sample['zxids'] = {};
  for (const server of current.servers) {
    zxids[String(idOf(server.server))] =
      server.zxid === null ? null : { epoch: server.zxid.epoch, counter: server.zxid.counter };
  }
  return {
    time: current.at,
    requestsPerSec: known.length === 0 ? null : round(known.reduce((a, b) => a + b, 0)),
    writesPerSec:
      leaderRates?.writesPerSecond === null || leaderRates === undefined
        ? null
        : round(leaderRates.writesPerSecond),
    latencyAvgMs:
      latencies.length === 0
        ? null
        : round(latencies.reduce((sum, l) => sum + l.avg, 0) / latencies.length),
    latencyMaxMs: latencies.length === 0 ? null : Math.max(...latencies.map((l) => l.max)),
    queueDepth: counts.current?.queued ?? null,
    completedPerSec: completedPerSec(counts.previous, counts.current),
    zxids,
  };
}

/** Results' growth per second; null without two counts, or when results went down (a reset namespace). */
function completedPerSec(previous: CountsAt | null, current: CountsAt | null): number | null {
  if (previous === null || current === null) return null;
  const seconds = (current.at - previous.at) / 1000;
  if (seconds <= 0 || current.results < previous.results) return null;
  return round((current.results - previous.results) / seconds);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

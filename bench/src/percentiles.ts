/** Order statistics by the nearest-rank method, as the producer's latency summary computes them. */

export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** The smallest of ascending `sorted` with at least p % of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(rank, 1)) - 1]!;
}

/** null when there are no values. */
export function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

/** The same with every figure rounded to 0.1, for a report. */
export function roundDistribution(d: Distribution | null): Distribution | null {
  if (d === null) return null;
  const r = (v: number): number => Math.round(v * 10) / 10;
  return {
    count: d.count,
    min: r(d.min),
    p50: r(d.p50),
    p90: r(d.p90),
    p95: r(d.p95),
    p99: r(d.p99),
    max: r(d.max),
  };
}

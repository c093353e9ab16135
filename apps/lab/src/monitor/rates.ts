/**
 * Rates from two successive readings: the servers' counters only grow between restarts, so
 * a difference over the time between readings is a rate, and nothing ever has to be reset.
 * A counter that went down (the server restarted, or someone sent srst) or a zxid in a new
 * epoch (the counter starts again at 0) gives no rate for that step: null, never a guess.
 */
import type { EnsembleReading, ServerReading } from './ensemble-reading';

export interface ServerRates {
  /** Requests received per second. */
  receivedPerSecond: number | null;
  /** Answers sent per second. */
  sentPerSecond: number | null;
  /** Transactions (writes) per second, from the zxid counter. */
  writesPerSecond: number | null;
}

export interface EnsembleRates {
  /** By server (`host:port`); a server absent from either reading has none. */
  servers: Map<string, ServerRates>;
  /** The ensemble's writes per second: the highest any server committed. */
  writesPerSecond: number | null;
}

/** The rates between `previous` and `current`; null without a previous reading. */
export function ratesBetween(
  previous: EnsembleReading | null,
  current: EnsembleReading,
): EnsembleRates | null {
  if (previous === null) return null;
  const seconds = (current.at - previous.at) / 1000;
  if (seconds <= 0) return null;
  const before = new Map(previous.servers.map((s) => [s.server, s]));
  const servers = new Map<string, ServerRates>();
  for (const now of current.servers) {
    const then = before.get(now.server);
    if (then === undefined) continue;
    servers.set(now.server, serverRates(then, now, seconds));
  }
  const writes = [...servers.values()].flatMap((r) =>
    r.writesPerSecond === null ? [] : [r.writesPerSecond],
  );
  return { servers, writesPerSecond: writes.length === 0 ? null : Math.max(...writes) };
}

function serverRates(then: ServerReading, now: ServerReading, seconds: number): ServerRates {
  const perSecond = (a: number | null, b: number | null): number | null =>
    a === null || b === null || b < a ? null : (b - a) / seconds;
  const sameEpoch = then.zxid !== null && now.zxid !== null && then.zxid.epoch === now.zxid.epoch;
  return {
    receivedPerSecond: perSecond(then.received, now.received),
    sentPerSecond: perSecond(then.sent, now.sent),
    writesPerSecond: sameEpoch ? perSecond(then.zxid!.counter, now.zxid!.counter) : null,
  };
}

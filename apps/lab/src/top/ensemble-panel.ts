/**
 * The ensemble panel's source: one reading per server of the connect string. It is `lab
 * monitor`'s reader (srvr and mntr on each client port, in parallel, each within a
 * timeout); `EnsembleReader` is the seam the view depends on.
 */
import { readEnsemble } from '../monitor/ensemble-reading';

export interface ServerReading {
  /** host:port as the connect string names it. */
  server: string;
  /** It answered and serves clients. */
  up: boolean;
  /** leader, follower, standalone…; null when down or not serving. */
  mode: string | null;
  zxid: string | null;
  /** Why it is down or not serving. */
  problem: string | null;
}

export interface EnsembleReader {
  read(): Promise<ServerReading[]>;
}

/** Reads the servers with `lab monitor`'s reader, each within `timeoutMs`. */
export class MonitorEnsembleReader implements EnsembleReader {
  constructor(
    private readonly connectString: string,
    private readonly timeoutMs = 1_000,
  ) {}

  async read(): Promise<ServerReading[]> {
    const reading = await readEnsemble(this.connectString, { timeoutMs: this.timeoutMs });
    return reading.servers.map((s) => ({
      server: s.server,
      up: s.state === 'up',
      mode: s.mode,
      zxid: s.zxid?.hex ?? null,
      problem:
        s.state === 'not-answering'
          ? 'not answering'
          : (s.error ?? (s.serving === false ? 'not serving' : null)),
    }));
  }
}

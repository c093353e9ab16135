/**
 * The ensemble panel's source: one reading per server of the connect string. For now a small
 * reader of `srvr`; `EnsembleReader` is the seam where a fuller monitor's reader can go.
 */
import { fourLetterWord, parseSrvr } from '@zk-lab/deploy';

export interface ServerReading {
  /** host:port as the connect string names it. */
  server: string;
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

/** host:port pairs of a connect string (its chroot dropped). */
export function serversOf(connectString: string): { host: string; port: number }[] {
  return connectString
    .replace(/\/.*$/, '')
    .split(',')
    .map((hostPort) => {
      const at = hostPort.lastIndexOf(':');
      return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
    });
}

/** Asks each server `srvr`, all at once, each within `timeoutMs`. */
export class SrvrEnsembleReader implements EnsembleReader {
  constructor(
    private readonly connectString: string,
    private readonly timeoutMs = 1_000,
  ) {}

  read(): Promise<ServerReading[]> {
    return Promise.all(
      serversOf(this.connectString).map(async ({ host, port }): Promise<ServerReading> => {
        const server = `${host}:${port}`;
        try {
          const report = parseSrvr(await fourLetterWord(host, port, 'srvr', this.timeoutMs));
          if (report === null) {
            return { server, up: true, mode: null, zxid: null, problem: 'not serving' };
          }
          return { server, up: true, mode: report.mode, zxid: report.zxid, problem: null };
        } catch (error) {
          const problem = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          return { server, up: false, mode: null, zxid: null, problem };
        }
      }),
    );
  }
}

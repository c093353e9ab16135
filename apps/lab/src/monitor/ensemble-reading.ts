/**
 * One reading of an ensemble from outside: each server's client port is asked `srvr` and
 * `mntr`, all in parallel, each with its own timeout, so a stopped or paused server costs
 * the reading one timeout and never hangs it. Works on any ensemble: it needs no state
 * folder and no session. It never sends srst or crst: counters are read, never reset.
 */
import {
  fourLetterWord,
  FourLetterWordTimeoutError,
  isNotServing,
  parseMntrReport,
  parseSrvr,
  parseZxid,
  refusedWord,
  type FourLetterWord,
  type MntrReport,
  type SrvrReport,
  type Zxid,
} from '@zk-lab/deploy';

/** up: it answered; down: nothing listens (or the host is unreachable); not-answering: it accepted but said nothing in time. */
export type ServerState = 'up' | 'down' | 'not-answering';

/** The fields read from mntr, documented in MntrReport (outstanding and connections fall back on srvr's). */
type MntrFields = Pick<
  MntrReport,
  | 'outstanding'
  | 'connections'
  | 'watches'
  | 'ephemerals'
  | 'dataSize'
  | 'openFileDescriptors'
  | 'maxFileDescriptors'
>;

export interface ServerReading extends MntrFields {
  /** `host:port`, the name the server goes by in every output. */
  server: string;
  host: string;
  port: number;
  state: ServerState;
  /**
   * Does it serve clients? False for a server that answers but is out of quorum ("not
   * currently serving requests"); null when it refused both words or is not up.
   */
  serving: boolean | null;
  /** leader, follower, observer, standalone, read-only; null when unknown or not serving. */
  mode: string | null;
  zxid: Zxid | null;
  /** The server's own latency since it started, in ms. */
  latency: { min: number; avg: number; max: number } | null;
  /** Requests received and answers sent since the server started. */
  received: number | null;
  sent: number | null;
  /** Znodes (mntr, else srvr). */
  znodes: number | null;
  version: string | null;
  /** The four-letter words it refused (not in its `4lw.commands.whitelist`). */
  refused: FourLetterWord[];
  /** Why it is down or not answering. */
  error: string | null;
}

export interface EnsembleReading {
  /** When the reading was taken (ms since the epoch). */
  at: number;
  servers: ServerReading[];
  /** The server that leads (or runs standalone), or null when none does. */
  leader: string | null;
}

/** The words one reading sends to each server. */
export const MONITOR_WORDS: readonly FourLetterWord[] = ['srvr', 'mntr'];

/** The servers of a connect string (`host:port,…[/chroot]`). */
export function serversOf(connectString: string): { host: string; port: number }[] {
  const hosts = connectString.replace(/\/.*$/, '').split(',');
  return hosts.map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    return {
      host: hostPort.slice(0, at).replace(/^\[(.*)\]$/, '$1'),
      port: Number(hostPort.slice(at + 1)),
    };
  });
}

/** Reads every server of `connectString` once, in parallel. */
export async function readEnsemble(
  connectString: string,
  options: { timeoutMs?: number } = {},
): Promise<EnsembleReading> {
  const at = Date.now();
  const servers = await Promise.all(
    serversOf(connectString).map(({ host, port }) =>
      readServer(host, port, options.timeoutMs ?? 2_000),
    ),
  );
  return { at, servers, leader: leaderOf(servers) };
}

/** The leader: the server that says it leads (with the newest epoch, should two say so). */
function leaderOf(servers: readonly ServerReading[]): string | null {
  const leaders = servers
    .filter((s) => s.mode === 'leader' || s.mode === 'standalone')
    .sort((a, b) => (b.zxid?.epoch ?? -1) - (a.zxid?.epoch ?? -1));
  return leaders[0]?.server ?? null;
}

type Answer = { word: FourLetterWord; text: string } | { word: FourLetterWord; error: unknown };

async function ask(
  host: string,
  port: number,
  word: FourLetterWord,
  timeoutMs: number,
): Promise<Answer> {
  try {
    return { word, text: await fourLetterWord(host, port, word, timeoutMs) };
  } catch (error) {
    return { word, error };
  }
}

/** Reads one server: `srvr` for its mode, zxid and latency, `mntr` for the rest. */
export async function readServer(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ServerReading> {
  const [srvrAnswer, mntrAnswer] = await Promise.all(
    MONITOR_WORDS.map((word) => ask(host, port, word, timeoutMs)),
  );
  const base = emptyReading(host, port);
  const answers = [srvrAnswer!, mntrAnswer!];
  const failed = answers.flatMap((a) => ('error' in a ? [a.error] : []));
  if (failed.length === answers.length) {
    const timedOut = failed.some((e) => e instanceof FourLetterWordTimeoutError);
    return {
      ...base,
      state: timedOut ? 'not-answering' : 'down',
      error: [...new Set(failed.map(messageOf))].join('; '),
    };
  }
  const refused: FourLetterWord[] = [];
  let notServing = false;
  const textOf = (answer: Answer): string | null => {
    if ('error' in answer) return null;
    if (refusedWord(answer.text) !== null) {
      refused.push(answer.word);
      return null;
    }
    if (isNotServing(answer.text)) {
      notServing = true;
      return null;
    }
    return answer.text;
  };
  const srvrText = textOf(srvrAnswer!);
  const mntrText = textOf(mntrAnswer!);
  const srvr: SrvrReport | null = srvrText === null ? null : parseSrvr(srvrText);
  const mntr: MntrReport | null = mntrText === null ? null : parseMntrReport(mntrText);
  const mode = srvr?.mode ?? mntr?.state ?? null;
  return {
    ...base,
    state: 'up',
    serving: notServing ? false : mode !== null ? true : null,
    mode,
    zxid: srvr === null ? null : parseZxid(srvr.zxid),
    latency: srvr?.latency ?? mntr?.latency ?? null,
    received: srvr?.received ?? mntr?.packetsReceived ?? null,
    sent: srvr?.sent ?? mntr?.packetsSent ?? null,
    outstanding: srvr?.outstanding ?? mntr?.outstanding ?? null,
    connections: mntr?.connections ?? srvr?.connections ?? null,
    watches: mntr?.watches ?? null,
    ephemerals: mntr?.ephemerals ?? null,
    znodes: mntr?.znodes ?? srvr?.znodes ?? null,
    dataSize: mntr?.dataSize ?? null,
    openFileDescriptors: mntr?.openFileDescriptors ?? null,
    maxFileDescriptors: mntr?.maxFileDescriptors ?? null,
    version: srvr?.version ?? null,
    refused,
    error:
      answers
        .flatMap((a) => ('error' in a ? [`${a.word}: ${messageOf(a.error)}`] : []))
        .join('; ') || null,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function emptyReading(host: string, port: number): ServerReading {
  return {
    server: `${host}:${port}`,
    host,
    port,
    state: 'down',
    serving: null,
    mode: null,
    zxid: null,
    latency: null,
    received: null,
    sent: null,
    outstanding: null,
    connections: null,
    watches: null,
    ephemerals: null,
    znodes: null,
    dataSize: null,
    openFileDescriptors: null,
    maxFileDescriptors: null,
    version: null,
    refused: [],
    error: null,
  };
}

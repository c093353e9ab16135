/**
 * The servers of the connect string, and which one holds this session. The client does not
 * say which server it is connected to, so the shell asks each server's `cons` (the
 * connections it serves) for the session id.
 */
import { fourLetterWord, type FourLetterWord } from '@zk-lab/deploy';

export interface ServerAddress {
  host: string;
  port: number;
}

export const FOUR_LETTER_WORDS: readonly FourLetterWord[] = [
  'ruok',
  'srvr',
  'stat',
  'mntr',
  'cons',
  'conf',
  'wchs',
  'wchc',
  'wchp',
];

export function serversOf(connectString: string): ServerAddress[] {
  const hosts = connectString.replace(/\/.*$/, '').split(',');
  return hosts.map((entry) => {
    const at = entry.lastIndexOf(':');
    return { host: entry.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(entry.slice(at + 1)) };
  });
}

export function addressText(server: ServerAddress): string {
  return `${server.host}:${server.port}`;
}

/** The server whose `cons` lists the session, or null (none does, or `cons` is not allowed). */
export async function serverOfSession(
  connectString: string,
  sessionId: bigint,
): Promise<ServerAddress | null> {
  const wanted = `sid=0x${sessionId.toString(16)}`;
  const answers = await Promise.all(
    serversOf(connectString).map(async (server) => {
      const cons = await fourLetterWord(server.host, server.port, 'cons', 1_000).catch(() => '');
      // "sid=0x1000a…," or "sid=0x1000a…)": the id must end there, not be a prefix.
      return new RegExp(`${wanted}[^0-9a-f]`).test(cons) ? server : null;
    }),
  );
  return answers.find((s) => s !== null) ?? null;
}

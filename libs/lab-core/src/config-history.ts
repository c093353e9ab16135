/**
 * `/config-history`: one node per version the config updater accepted (`v-<10 digits>`,
 * persistent-sequential, written in the same transaction as `/config`). Every role may read
 * it; only the admin writes it.
 *
 * A process that starts while `/config` is missing or invalid takes the newest entry that
 * parses: the last good config, the one every older process keeps in force (apps.md F14).
 */
import { NoNodeError, type ZkClient } from '@zk-lab/zk-client';
import { z } from 'zod';
import { LabConfigSchema } from './config';
import { PATHS } from './namespace';

/** One accepted version, as the updater records it. */
export const HistoryEntrySchema = z.object({
  /** The `/config` znode version this write produced. */
  version: z.number().int().min(0),
  config: LabConfigSchema,
  /** When it was written (ms since the epoch). */
  at: z.number(),
  /** The admin user who wrote it. */
  by: z.string(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

const HISTORY_NAME = /^v-(\d{10})$/;

/** The history's node names, oldest first (names that are not `v-<10 digits>` left out). */
export function sortHistoryNames(
  children: readonly string[],
): { name: string; sequence: number }[] {
  return children
    .flatMap((name) => {
      const match = HISTORY_NAME.exec(name);
      return match?.[1] === undefined ? [] : [{ name, sequence: Number(match[1]) }];
    })
    .sort((a, b) => a.sequence - b.sequence);
}

/** A history node's entry, or null when its data does not parse. */
export function parseHistoryEntry(data: Buffer): HistoryEntry | null {
  try {
    const parsed = HistoryEntrySchema.safeParse(JSON.parse(data.toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The newest history entry that parses, with its node name; null when there is none. */
export async function lastGoodConfig(
  client: ZkClient,
): Promise<{ name: string; entry: HistoryEntry } | null> {
  let children: string[];
  try {
    await client.sync(PATHS.configHistory);
    children = await client.getChildren(PATHS.configHistory);
  } catch (error) {
    if (error instanceof NoNodeError) return null;
    throw error;
  }
  for (const { name } of sortHistoryNames(children).reverse()) {
    try {
      const entry = parseHistoryEntry(
        (await client.getData(`${PATHS.configHistory}/${name}`)).data,
      );
      if (entry !== null) return { name, entry };
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error; // trimmed meanwhile: the next one
    }
  }
  return null;
}

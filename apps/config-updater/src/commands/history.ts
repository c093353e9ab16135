/** `history`: the versions the updater wrote, newest first, each with what it changed. */
import { DEFAULT_CONFIG, type LabConfig } from '@zk-lab/lab-core';
import type { ConfigStore, HistoryRecord } from '../config-store';
import { type ConfigChange, configChanges, formatChanges } from '../diff-format';
import type { Output } from '../output';

/** One row of `history --json`. */
export interface HistoryRow {
  /** The history node's name, `v-<seq>`. */
  name: string;
  /** null for an entry whose data does not parse. */
  version: number | null;
  at: string | null;
  by: string | null;
  config: LabConfig | null;
  /** Against the version before; null when that one is not known. */
  changes: ConfigChange[] | null;
  /** Why `changes` is what it is, when it needs saying. */
  note?: string;
}

export async function showHistory(
  store: ConfigStore,
  limit: number,
  json: boolean,
  io: Output,
): Promise<void> {
  // One more than shown: the oldest shown entry is diffed against it.
  const { records, total } = await store.history(limit + 1);
  const rows = records.slice(0, limit).map((record, i) => toRow(record, records[i + 1]));
  if (json) {
    io.out(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    io.out('no history: the updater has written no version yet');
    return;
  }
  io.out(`${rows.length} of ${total} kept version(s), newest first:`);
  for (const row of rows) io.out(formatRow(row));
}

function toRow(record: HistoryRecord, previous: HistoryRecord | undefined): HistoryRow {
  const entry = record.entry;
  if (entry === null) {
    return {
      name: record.name,
      version: null,
      at: null,
      by: null,
      config: null,
      changes: null,
      note: 'unreadable entry',
    };
  }
  const row = {
    name: record.name,
    version: entry.version,
    at: new Date(entry.at).toISOString(),
    by: entry.by,
    config: entry.config,
  };
  if (previous === undefined) {
    // The first entry ever follows the defaults; otherwise older entries were trimmed.
    return record.sequence === 0
      ? { ...row, changes: configChanges(DEFAULT_CONFIG, entry.config), note: 'from the defaults' }
      : { ...row, changes: null, note: 'the version before is no longer kept' };
  }
  if (previous.entry === null) {
    return { ...row, changes: null, note: 'the entry before is unreadable' };
  }
  return { ...row, changes: configChanges(previous.entry.config, entry.config) };
}

function formatRow(row: HistoryRow): string {
  if (row.version === null) return `${row.name}: ${row.note ?? 'unreadable entry'}`;
  const head = `version ${row.version}  ${row.at}  by ${row.by}  (${row.name})`;
  const lines = [row.note === undefined ? head : `${head}  ${row.note}:`];
  if (row.changes === null) lines.push(`  ${JSON.stringify(row.config)}`);
  else if (row.changes.length === 0) lines.push('  (no change)');
  else lines.push(...formatChanges(row.changes));
  return lines.join('\n');
}

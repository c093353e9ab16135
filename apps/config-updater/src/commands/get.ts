/** `get`: the config in force, its version, or why the apps reject what /config holds. */
import { DEFAULT_CONFIG, type HistoryEntry, type LabConfig } from '@zk-lab/lab-core';
import type { ConfigStore } from '../config-store';
import { indentLines } from '../diff-format';
import type { Output } from '../output';

/** What `get --json` prints. */
export type GetReport =
  | { state: 'valid'; version: number; modified: string; config: LabConfig }
  | { state: 'absent'; version: null; modified: null; config: LabConfig }
  | {
      state: 'invalid';
      version: number;
      modified: string;
      raw: string;
      problems: string;
      /** The newest version the updater wrote: what running apps most likely still use. */
      lastWritten: (HistoryEntry & { history: string }) | null;
    };

export async function getConfig(store: ConfigStore, json: boolean, io: Output): Promise<void> {
  const report = await readReport(store);
  io.out(json ? JSON.stringify(report, null, 2) : formatReport(report));
}

async function readReport(store: ConfigStore): Promise<GetReport> {
  const stored = await store.read();
  switch (stored.state) {
    case 'absent':
      return { state: 'absent', version: null, modified: null, config: DEFAULT_CONFIG };
    case 'valid':
      return {
        state: 'valid',
        version: stored.version,
        modified: stored.modified.toISOString(),
        config: stored.config,
      };
    case 'invalid': {
      const newest = (await store.history(1)).records[0];
      return {
        state: 'invalid',
        version: stored.version,
        modified: stored.modified.toISOString(),
        raw: stored.raw,
        problems: stored.problems,
        lastWritten: newest?.entry ? { ...newest.entry, history: newest.name } : null,
      };
    }
  }
}

function formatReport(report: GetReport): string {
  switch (report.state) {
    case 'absent':
      return `/config does not exist: the apps run with the defaults\n${pretty(report.config)}`;
    case 'valid':
      return `/config version ${report.version}, modified ${report.modified}\n${pretty(report.config)}`;
    case 'invalid': {
      const lines = [
        `/config version ${report.version}, modified ${report.modified}, is INVALID: ` +
          'the apps reject it and keep their last good config',
        'data:',
        indentLines(report.raw),
        'problems:',
        indentLines(report.problems),
      ];
      const last = report.lastWritten;
      if (last === null) {
        lines.push('the updater has no record of an earlier version: apps run with the defaults');
      } else {
        lines.push(
          `the last version the updater wrote (version ${last.version}, ${new Date(last.at).toISOString()}, ` +
            `by ${last.by}), which running apps most likely keep:`,
          pretty(last.config),
        );
      }
      lines.push('apps started since this data was written run with the defaults');
      return lines.join('\n');
    }
  }
}

function pretty(config: LabConfig): string {
  return JSON.stringify(config, null, 2);
}

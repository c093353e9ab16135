/**
 * The write shared by `set` and `edit`: check the expected version, print what changes,
 * write it in one transaction, keep the history bounded.
 */
import { DEFAULT_CONFIG, type LabConfig } from '@zk-lab/lab-core';
import {
  ConfigConflictError,
  type ConfigStore,
  type ExpectedVersion,
  type StoredConfig,
} from '../config-store';
import { configChanges, formatChanges, jsonObjectOf } from '../diff-format';
import type { Output } from '../output';

export async function writeConfig(
  store: ConfigStore,
  current: StoredConfig,
  next: LabConfig,
  /** --expected-version, when the user gave one; else the version just read. */
  expectedByUser: number | undefined,
  io: Output,
): Promise<void> {
  const read: ExpectedVersion = current.state === 'absent' ? 'absent' : current.version;
  if (expectedByUser !== undefined && expectedByUser !== read) {
    throw new ConfigConflictError(expectedByUser, read);
  }
  const changes = configChanges(oldValues(current), next);
  if (current.state === 'valid' && changes.length === 0) {
    io.out(
      `no change: /config version ${current.version} already holds these values; nothing written`,
    );
    return;
  }
  const written = await store.write(next, read);
  io.out(headline(current, written.version));
  io.out(
    changes.length === 0 ? '  (same values as the defaults)' : formatChanges(changes).join('\n'),
  );
  io.out(`history entry: ${written.historyName}`);
  try {
    await store.trimHistory();
  } catch (error) {
    // The config is written; an untrimmed history only grows until the next write trims it.
    io.err(`warning: could not trim /config-history: ${(error as Error).message}`);
  }
}

/** What the apps had before: the config, the defaults, or the keys of the rejected data. */
function oldValues(current: StoredConfig): Readonly<Record<string, unknown>> {
  switch (current.state) {
    case 'valid':
      return current.config;
    case 'absent':
      return DEFAULT_CONFIG;
    case 'invalid':
      return jsonObjectOf(current.raw) ?? {};
  }
}

function headline(current: StoredConfig, version: number): string {
  switch (current.state) {
    case 'absent':
      return `created /config, version ${version} (the apps ran with the defaults until now); changes:`;
    case 'invalid':
      return `replaced the INVALID /config version ${current.version}: now version ${version}; changes:`;
    case 'valid':
      return `/config version ${current.version} → ${version}; changes:`;
  }
}

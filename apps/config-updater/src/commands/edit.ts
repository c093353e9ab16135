/** `edit`: change some keys of the current config. */
import { DEFAULT_CONFIG, parseConfig } from '@zk-lab/lab-core';
import type { ConfigEdit } from '../args';
import type { ConfigStore, StoredConfig } from '../config-store';
import { jsonObjectOf } from '../diff-format';
import type { Output } from '../output';
import { writeConfig } from './write-config';

/** /config holds data that is not even a JSON object: there is nothing to edit. */
export class UneditableConfigError extends Error {
  override readonly name = 'UneditableConfigError';
  constructor(version: number) {
    super(
      `/config version ${version} is not a JSON object, so it cannot be edited: ` +
        'replace it with `set`',
    );
  }
}

export async function editConfig(
  store: ConfigStore,
  edits: readonly ConfigEdit[],
  expectedVersion: number | undefined,
  io: Output,
): Promise<void> {
  const current = await store.read();
  const edited: Record<string, unknown> = { ...base(current) };
  for (const { key, value } of edits) edited[key] = value;
  // InvalidConfigError here means nothing is written.
  const next = parseConfig(edited);
  await writeConfig(store, current, next, expectedVersion, io);
}

/** What the edits apply to; rejected data that is still an object can be repaired by edits. */
function base(current: StoredConfig): Readonly<Record<string, unknown>> {
  switch (current.state) {
    case 'valid':
      return current.config;
    case 'absent':
      return DEFAULT_CONFIG;
    case 'invalid': {
      const object = jsonObjectOf(current.raw);
      if (object === null) throw new UneditableConfigError(current.version);
      return object;
    }
  }
}

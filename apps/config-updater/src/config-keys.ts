/**
 * The keys of the live config, read from LabConfigSchema itself so that the help text and
 * the unknown-key message never drift from what the apps accept.
 */
import { DEFAULT_CONFIG, LabConfigSchema, type LabConfigKey } from '@zk-lab/lab-core';
import { z } from 'zod';

export interface ConfigKeyInfo {
  key: LabConfigKey;
  default: unknown;
  /** What the schema accepts, e.g. "integer 1 to 256" or "one of info, debug, …". */
  accepts: string;
}

export const CONFIG_KEYS = Object.keys(LabConfigSchema.shape) as LabConfigKey[];

export function isConfigKey(key: string): key is LabConfigKey {
  return (CONFIG_KEYS as string[]).includes(key);
}

export function describeConfigKeys(): ConfigKeyInfo[] {
  return CONFIG_KEYS.map((key) => {
    const inner: unknown = LabConfigSchema.shape[key].unwrap();
    let accepts = 'see LabConfigSchema';
    if (inner instanceof z.ZodEnum) accepts = `one of ${inner.options.join(', ')}`;
    if (inner instanceof z.ZodNumber) {
      const kind = inner.isInt ? 'integer' : 'number';
      accepts = `${kind} ${inner.minValue ?? '-∞'} to ${inner.maxValue ?? '∞'}`;
    }
    return { key, default: DEFAULT_CONFIG[key], accepts };
  });
}

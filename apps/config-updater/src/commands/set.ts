/** `set`: replace the whole config with a validated document. */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type LabConfig, parseConfig } from '@zk-lab/lab-core';
import type { ConfigSource } from '../args';
import type { ConfigStore } from '../config-store';
import type { Output } from '../output';
import { writeConfig } from './write-config';

/** The document to set could not be read (a missing file, say): bad input, exit code 2. */
export class ConfigSourceError extends Error {
  override readonly name = 'ConfigSourceError';
}

/**
 * Reads and validates the document before anything connects: InvalidConfigError lists
 * every problem. Omitted keys take their defaults.
 */
export async function loadConfigDocument(
  source: ConfigSource,
  stdin: Readable,
): Promise<LabConfig> {
  return parseConfig(await readSource(source, stdin));
}

export async function setConfig(
  store: ConfigStore,
  config: LabConfig,
  expectedVersion: number | undefined,
  io: Output,
): Promise<void> {
  await writeConfig(store, await store.read(), config, expectedVersion, io);
}

async function readSource(source: ConfigSource, stdin: Readable): Promise<string> {
  switch (source.kind) {
    case 'inline':
      return source.text;
    case 'file':
      try {
        return await readFile(source.path, 'utf8');
      } catch (error) {
        throw new ConfigSourceError(`cannot read ${source.path}: ${(error as Error).message}`);
      }
    case 'stdin': {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      }
      return Buffer.concat(chunks).toString('utf8');
    }
  }
}

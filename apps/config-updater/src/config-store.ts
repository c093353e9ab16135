/**
 * ConfigStore: `/config` and `/config-history` as the updater sees them. Framework-free.
 *
 * - `read()` syncs first, so a fresh process sees at least what was committed before it
 *   started, whatever server it reached.
 * - `write()` is one transaction: the new `/config` data at the expected version (or its
 *   creation), plus a `/config-history/v-<seq>` entry. A version that moved, a node that
 *   appeared or vanished meanwhile, fails the whole transaction: ConfigConflictError, and
 *   nothing is written.
 * - The history is bounded (HISTORY_KEPT entries): `trimHistory()` deletes the oldest.
 */
import {
  type HistoryEntry,
  InvalidConfigError,
  type LabConfig,
  parseConfig,
  parseHistoryEntry,
  PATHS,
  sortHistoryNames,
} from '@zk-lab/lab-core';
import {
  type ACL,
  BadVersionError,
  CreateMode,
  MultiError,
  NodeExistsError,
  NoNodeError,
  type ZkClient,
} from '@zk-lab/zk-client';

/** How many history entries are kept. */
export const HISTORY_KEPT = 100;

export type StoredConfig =
  | { state: 'absent' }
  | { state: 'valid'; version: number; modified: Date; config: LabConfig; raw: string }
  | { state: 'invalid'; version: number; modified: Date; raw: string; problems: string };

/** The version a write expects `/config` at: a znode version, or 'absent' to create it. */
export type ExpectedVersion = number | 'absent';

/** The write lost a race: `/config` is no longer where it was read. Nothing was written. */
export class ConfigConflictError extends Error {
  override readonly name = 'ConfigConflictError';
  constructor(
    readonly expected: ExpectedVersion,
    readonly actual: ExpectedVersion,
  ) {
    const was = expected === 'absent' ? 'no /config' : `version ${expected}`;
    const now =
      actual === 'absent' ? 'no /config' : expected === 'absent' ? `version ${actual}` : actual;
    super(
      `the config changed since it was read (expected ${was}, now ${now}): run the command again`,
    );
  }
}

export interface HistoryRecord {
  /** The node name, `v-<10 digits>`. */
  name: string;
  sequence: number;
  /** null when the node's data does not parse. */
  entry: HistoryEntry | null;
}

export interface WriteResult {
  version: number;
  /** The history node's name. */
  historyName: string;
}

export class ConfigStore {
  constructor(
    private readonly client: ZkClient,
    /** ACL of `/config` and `/config-history` (namespaceAcls().config). */
    private readonly acl: ACL[],
    /** Recorded as `by` in the history. */
    private readonly user: string,
  ) {}

  async read(): Promise<StoredConfig> {
    await this.client.sync(PATHS.config);
    let data: Buffer;
    let version: number;
    let modified: Date;
    try {
      const node = await this.client.getData(PATHS.config);
      data = node.data;
      version = node.stat.version;
      modified = new Date(Number(node.stat.mtime));
    } catch (error) {
      if (error instanceof NoNodeError) return { state: 'absent' };
      throw error;
    }
    const raw = data.toString('utf8');
    try {
      return { state: 'valid', version, modified, config: parseConfig(data), raw };
    } catch (error) {
      if (!(error instanceof InvalidConfigError)) throw error;
      return { state: 'invalid', version, modified, raw, problems: error.detail };
    }
  }

  async currentVersion(): Promise<ExpectedVersion> {
    await this.client.sync(PATHS.config);
    const stat = await this.client.exists(PATHS.config);
    return stat === null ? 'absent' : stat.version;
  }

  /** Writes `config` (every key) if `/config` is still at `expected`, with its history entry. */
  async write(config: LabConfig, expected: ExpectedVersion): Promise<WriteResult> {
    await this.ensureHistoryParent();
    const version = expected === 'absent' ? 0 : expected + 1;
    const entry: HistoryEntry = { version, config, at: Date.now(), by: this.user };
    const data = `${JSON.stringify(config, null, 2)}\n`;
    const transaction = this.client.multi();
    if (expected === 'absent') transaction.create(PATHS.config, data, { acl: this.acl });
    else transaction.setData(PATHS.config, data, expected);
    transaction.create(`${PATHS.configHistory}/v-`, JSON.stringify(entry), {
      mode: CreateMode.PERSISTENT_SEQUENTIAL,
      acl: this.acl,
    });
    let results;
    try {
      results = await transaction.commit();
    } catch (error) {
      if (error instanceof MultiError) {
        if (error.index === 0 && isRaceLost(error.opError)) {
          throw new ConfigConflictError(expected, await this.currentVersion());
        }
        // The op's own error (e.g. NoAuthError) says more than "rolled back".
        throw error.opError;
      }
      throw error;
    }
    const created = results[1];
    const historyPath = created?.op === 'create' ? created.path : '';
    return { version, historyName: historyPath.slice(historyPath.lastIndexOf('/') + 1) };
  }

  /** The newest `count` history entries, newest first, and how many there are in all. */
  async history(count: number): Promise<{ records: HistoryRecord[]; total: number }> {
    const names = await this.historyNames();
    const newest = names.slice(-count).reverse();
    const records = await Promise.all(
      newest.map(async ({ name, sequence }): Promise<HistoryRecord | null> => {
        try {
          const { data } = await this.client.getData(`${PATHS.configHistory}/${name}`);
          return { name, sequence, entry: parseHistoryEntry(data) };
        } catch (error) {
          if (error instanceof NoNodeError) return null; // trimmed meanwhile
          throw error;
        }
      }),
    );
    return { records: records.filter((r) => r !== null), total: names.length };
  }

  /** Deletes the oldest entries past HISTORY_KEPT; returns how many it deleted. */
  async trimHistory(kept = HISTORY_KEPT): Promise<number> {
    const names = await this.historyNames();
    const excess = names.slice(0, Math.max(0, names.length - kept));
    await Promise.all(
      excess.map(async ({ name }) => {
        try {
          await this.client.delete(`${PATHS.configHistory}/${name}`);
        } catch (error) {
          // Another updater trimmed it first.
          if (!(error instanceof NoNodeError)) throw error;
        }
      }),
    );
    return excess.length;
  }

  /** History node names, oldest first. The list is bounded by trimHistory(). */
  private async historyNames(): Promise<{ name: string; sequence: number }[]> {
    let children: string[];
    try {
      await this.client.sync(PATHS.configHistory);
      children = await this.client.getChildren(PATHS.configHistory);
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
    return sortHistoryNames(children);
  }

  private async ensureHistoryParent(): Promise<void> {
    if ((await this.client.exists(PATHS.configHistory)) !== null) return;
    try {
      await this.client.create(PATHS.configHistory, undefined, { acl: this.acl });
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }
}

/** The first op failed because `/config` moved: its version, its existence. */
function isRaceLost(error: Error): boolean {
  return (
    error instanceof BadVersionError ||
    error instanceof NodeExistsError ||
    error instanceof NoNodeError
  );
}

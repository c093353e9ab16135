/**
 * Gathers the verdict's evidence with a fresh client of the judge's own (never one of the
 * apps'): the znodes under the root after a sync, the producer's record and the workers'
 * execution log. It lists `/results` and `/dead`, which is fine for the few thousand jobs of a
 * chaos run and is why no app does it.
 */
import { loadCredentials, PATHS } from '@zk-lab/lab-core';
import { NoNodeError, ZkClient } from '@zk-lab/zk-client';
import {
  type Evidence,
  ExecutionLineSchema,
  parseDead,
  parseResult,
  ProducedLineSchema,
  readJsonLines,
  type Settlement,
} from './evidence';

export interface EvidenceSources {
  connectString: string;
  root: string;
  /** The producer's record files (each producer process appends to one). */
  producedFiles: string[];
  executionLog: string;
}

/** Reads in pages of this many getData calls in flight. */
const READ_PAGE = 500;

export async function gatherEvidence(sources: EvidenceSources): Promise<Evidence> {
  const unreadable: string[] = [];
  const produced = sources.producedFiles.flatMap((file) =>
    readJsonLines(file, ProducedLineSchema, unreadable),
  );
  const executions = readJsonLines(sources.executionLog, ExecutionLineSchema, unreadable);
  // The admin identity reads whatever the ACLs allow nobody else to.
  const client = await ZkClient.connect({
    connectString: sources.connectString,
    sessionTimeoutMs: 10_000,
    connectTimeoutMs: 20_000,
    auth: [loadCredentials('admin').authInfo()],
  });
  try {
    const at = (path: string) => `${sources.root}${path}`;
    await client.sync(sources.root);
    const [resultKeys, deadKeys, queued, folders] = await Promise.all([
      children(client, at(PATHS.results)),
      children(client, at(PATHS.dead)),
      children(client, at(PATHS.queue)),
      children(client, at(PATHS.assign)),
    ]);
    const settlements: Settlement[] = [];
    const read = async (
      parent: string,
      keys: string[],
      parse: (key: string, data: Buffer) => Settlement | string,
    ) => {
      for (let i = 0; i < keys.length; i += READ_PAGE) {
        const page = keys.slice(i, i + READ_PAGE);
        const datas = await Promise.all(
          page.map((key) => client.getData(`${parent}/${key}`).then(({ data }) => data)),
        );
        page.forEach((key, j) => {
          const parsed = parse(key, datas[j]!);
          if (typeof parsed === 'string') unreadable.push(parsed);
          else settlements.push(parsed);
        });
      }
    };
    await read(at(PATHS.results), resultKeys, parseResult);
    await read(at(PATHS.dead), deadKeys, parseDead);
    const assigned = (
      await Promise.all(
        folders.map(async (worker) =>
          (await children(client, `${at(PATHS.assign)}/${worker}`)).map((k) => `${worker}/${k}`),
        ),
      )
    ).flat();
    return { produced, executions, settlements, queued, assigned, unreadable };
  } finally {
    await client.close();
  }
}

async function children(client: ZkClient, path: string): Promise<string[]> {
  try {
    return await client.getChildren(path);
  } catch (err) {
    if (err instanceof NoNodeError) return [];
    throw err;
  }
}

/**
 * Gathers the verdict's evidence with a fresh client of the judge's own (never one of the
 * apps'): the znodes under the root after a sync, the producer's record and the workers'
 * execution log. It lists `/results` and `/dead`, which is fine for the few thousand jobs of a
 * chaos run and is why no app does it.
 *
 * The runner points the first read at the ZooKeeper leader: the apps are judged on the
 * history the ensemble agreed on. Then it reads the records again from each server on its
 * own, after a sync on that server: nothing writes any more, so every server must hold the
 * same records. A disagreement is a fault of ZooKeeper's replication, which the apps cannot
 * cause and the verdict names apart.
 */
import { createHash } from 'node:crypto';
import { loadCredentials, PATHS } from '@zk-lab/lab-core';
import type { CanaryRecord } from './canary';
import { NoNodeError, ZkClient } from '@zk-lab/zk-client';
import {
  type Evidence,
  ExecutionLineSchema,
  type ReplicaDisagreement,
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
  /** Each server on its own (name and connect string), read again to compare. */
  servers?: { name: string; connectString: string }[];
  /** What the canary acknowledged; its nodes are read and compared like the records. */
  canary?: CanaryRecord;
}

/** Reads in pages of this many getData calls in flight. */
const READ_PAGE = 500;

export async function gatherEvidence(sources: EvidenceSources): Promise<Evidence> {
  const unreadable: string[] = [];
  const produced = sources.producedFiles.flatMap((file) =>
    readJsonLines(file, ProducedLineSchema, unreadable),
  );
  const executions = readJsonLines(sources.executionLog, ExecutionLineSchema, unreadable);
  const { root } = sources;
  const canaryAt = sources.canary?.path ?? null;
  // One read per connect string: the first read (the leader's) is also that server's own.
  const reads = new Map<string, ReturnType<typeof readTree>>();
  const readOn = (connectString: string) => {
    let read = reads.get(connectString);
    if (read === undefined) {
      read = withJudgeClient(connectString, (client) => readTree(client, root, canaryAt));
      reads.set(connectString, read);
    }
    return read;
  };
  const { records, queued, assigned } = await readOn(sources.connectString);
  const settlements: Settlement[] = [];
  const present: string[] = [];
  for (const [path, data] of records) {
    if (canaryAt !== null && path.startsWith(`${canaryAt}/`)) {
      present.push(path.slice(canaryAt.length + 1));
      continue;
    }
    const parsed = parseRecord(path, data, root);
    if (typeof parsed === 'string') unreadable.push(parsed);
    else settlements.push(parsed);
  }
  const trees: { name: string; records: Map<string, Buffer> }[] = [];
  for (const server of sources.servers ?? []) {
    try {
      trees.push({ name: server.name, records: (await readOn(server.connectString)).records });
    } catch (err) {
      unreadable.push(`server ${server.name} could not be read on its own: ${String(err)}`);
    }
  }
  const replicas: ReplicaDisagreement[] = [];
  const paths = new Set([...records.keys(), ...trees.flatMap((tree) => [...tree.records.keys()])]);
  for (const path of [...paths].sort()) {
    const first = records.get(path);
    const agree = trees.every((tree) => {
      const own = tree.records.get(path);
      return own !== undefined && first !== undefined && own.equals(first);
    });
    if (agree) continue;
    const held: Record<string, string> = {};
    for (const tree of trees) {
      const own = tree.records.get(path);
      held[tree.name] = own === undefined ? 'absent' : summary(path, own, root, canaryAt);
    }
    replicas.push({ path, held });
  }
  const canary =
    sources.canary === undefined
      ? null
      : {
          path: sources.canary.path,
          acked: sources.canary.acked,
          indeterminate: sources.canary.indeterminate,
          present,
        };
  return { produced, executions, settlements, queued, assigned, unreadable, replicas, canary };
}

/** A result or dead record at `path`, parsed by its parent; a string saying why not. */
function parseRecord(path: string, data: Buffer, root: string): Settlement | string {
  const key = path.slice(path.lastIndexOf('/') + 1);
  return path.startsWith(`${root}${PATHS.results}/`)
    ? parseResult(key, data)
    : parseDead(key, data);
}

/** What a record says, short: who wrote a result, or a digest of data that is not one. */
function summary(path: string, data: Buffer, root: string, canaryAt: string | null): string {
  if (canaryAt !== null && path.startsWith(`${canaryAt}/`)) return 'present';
  const parsed = parseRecord(path, data, root);
  const digest = createHash('sha1').update(data).digest('hex').slice(0, 8);
  if (typeof parsed !== 'string' && parsed.writtenBy !== undefined) {
    return `${parsed.writtenBy} (${parsed.handBacks} hand-back(s), sha1 ${digest})`;
  }
  return `sha1 ${digest}`;
}

async function withJudgeClient<T>(
  connectString: string,
  use: (client: ZkClient) => Promise<T>,
): Promise<T> {
  // The admin identity reads whatever the ACLs allow nobody else to.
  const client = await ZkClient.connect({
    connectString,
    sessionTimeoutMs: 10_000,
    connectTimeoutMs: 20_000,
    auth: [loadCredentials('admin').authInfo()],
  });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/**
 * The records (results and dead, path → data; the canary's nodes with no data), the queue
 * and the tasks, after a sync.
 */
async function readTree(
  client: ZkClient,
  root: string,
  canaryAt: string | null,
): Promise<{ records: Map<string, Buffer>; queued: string[]; assigned: string[] }> {
  const at = (path: string) => `${root}${path}`;
  await client.sync(root);
  const [resultKeys, deadKeys, queued, folders] = await Promise.all([
    children(client, at(PATHS.results)),
    children(client, at(PATHS.dead)),
    children(client, at(PATHS.queue)),
    children(client, at(PATHS.assign)),
  ]);
  const records = new Map<string, Buffer>();
  const paths = [
    ...resultKeys.map((key) => `${at(PATHS.results)}/${key}`),
    ...deadKeys.map((key) => `${at(PATHS.dead)}/${key}`),
  ];
  for (let i = 0; i < paths.length; i += READ_PAGE) {
    const page = paths.slice(i, i + READ_PAGE);
    const datas = await Promise.all(
      page.map((path) =>
        client.getData(path).then(
          ({ data }) => data,
          (err: unknown) => {
            if (err instanceof NoNodeError) return null;
            throw err;
          },
        ),
      ),
    );
    page.forEach((path, j) => {
      const data = datas[j];
      if (data !== null && data !== undefined) records.set(path, data);
    });
  }
  // The canary's nodes by name only: there is one per write, and their presence is the point.
  if (canaryAt !== null) {
    await client.sync(canaryAt);
    for (const name of await children(client, canaryAt)) {
      records.set(`${canaryAt}/${name}`, Buffer.alloc(0));
    }
  }
  const assigned = (
    await Promise.all(
      folders.map(async (worker) =>
        (await children(client, `${at(PATHS.assign)}/${worker}`)).map((k) => `${worker}/${k}`),
      ),
    )
  ).flat();
  return { records, queued, assigned };
}

async function children(client: ZkClient, path: string): Promise<string[]> {
  try {
    return await client.getChildren(path);
  } catch (err) {
    if (err instanceof NoNodeError) return [];
    throw err;
  }
}

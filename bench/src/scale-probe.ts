/**
 * What `bench scale` looks at around each level: the queue's depth and the processes'
 * memory while it runs (LevelSampler), every parent's listing after it (listParents, with
 * ZooKeeper's own zkCli.sh on the large ones), and the queue sequence's headroom.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PATHS } from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import type { BenchSystem } from './system-setup';
import { leaderTotals } from './system-takeover';

/** The Java tools' default limit on a reply (jute.maxbuffer, 0xfffff). */
export const JUTE_MAX_BUFFER = 0xfffff;

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
/** Parents of more children than this are listed with zkCli.sh too. */
const ZKCLI_FROM_CHILDREN = 1_000;
const INT32_MAX = 2 ** 31 - 1;

export interface LevelSamples {
  maxQueueDepth: number;
  /** The most resident memory seen, in bytes; null when never read. */
  rssBytes: { leader: number | null; worker: number | null; producer: number | null };
}

export interface ParentListing {
  path: string;
  children: number;
  /** Bytes of the getChildren reply's body: the vector's length, then each name's. */
  listingBytes: number;
  /** zkCli.sh `ls` of it; null when not run (small parents). */
  zkCli: { listed: boolean; detail: string } | null;
}

/** The resident memory of a process, from /proc; null when it cannot be read. */
export function rssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

const most = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** Samples the queue's depth and the memory of the leader, workers and producer every second. */
export class LevelSampler {
  readonly samples: LevelSamples = {
    maxQueueDepth: 0,
    rssBytes: { leader: null, worker: null, producer: null },
  };
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly admin: ZkClient,
    private readonly system: Pick<BenchSystem, 'masters' | 'workers' | 'fleet'>,
  ) {}

  static start(
    admin: ZkClient,
    system: Pick<BenchSystem, 'masters' | 'workers' | 'fleet'>,
  ): LevelSampler {
    const sampler = new LevelSampler(admin, system);
    sampler.loop = sampler.run();
    return sampler;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.sample().catch(() => undefined);
      for (let waited = 0; waited < 1_000 && this.running; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await this.sample().catch(() => undefined);
  }

  private async sample(): Promise<void> {
    const queue = await this.admin.exists(PATHS.queue);
    const s = this.samples;
    s.maxQueueDepth = Math.max(s.maxQueueDepth, queue?.numChildren ?? 0);
    const leader = await leaderTotals(this.system.masters);
    const leaderSlot = this.system.masters.find((m) => m.id === leader?.id);
    s.rssBytes.leader = most(s.rssBytes.leader, rssBytes(leaderSlot?.process.pid));
    for (const worker of this.system.workers) {
      s.rssBytes.worker = most(s.rssBytes.worker, rssBytes(worker.process.pid));
    }
    for (const app of this.system.fleet.running()) {
      if (app.name === 'producer')
        s.rssBytes.producer = most(s.rssBytes.producer, rssBytes(app.pid));
    }
  }
}

/** The jobs the queue's sequence allows before it wraps: each costs its cversion two. */
export async function sequenceHeadroom(
  admin: ZkClient,
): Promise<{ cversion: number; jobsBeforeWrap: number }> {
  const stat = await admin.exists(PATHS.queue);
  const cversion = stat?.cversion ?? 0;
  return { cversion, jobsBeforeWrap: Math.floor((INT32_MAX - cversion) / 2) };
}

/**
 * Every parent under the namespace (`/` of the admin's chroot, each top-level node, and
 * each worker's task folder), with its listing's size; the large ones also through zkCli.sh.
 */
export async function listParents(
  admin: ZkClient,
  connectString: string,
  root: string,
  say: (line: string) => void,
): Promise<ParentListing[]> {
  const top = (await admin.getChildren('/')).sort().map((name) => `/${name}`);
  const folders = (await admin.getChildren(PATHS.assign).catch((): string[] => []))
    .sort()
    .map((id) => `${PATHS.assign}/${id}`);
  const listings: ParentListing[] = [];
  for (const path of ['/', ...top, ...folders]) {
    const names = await admin.getChildren(path).catch((): string[] => []);
    const listingBytes = 4 + names.reduce((sum, name) => sum + 4 + Buffer.byteLength(name), 0);
    let zkCli: ParentListing['zkCli'] = null;
    if (names.length > ZKCLI_FROM_CHILDREN) {
      const server = connectString.split(',')[0]!;
      zkCli = await zkCliList(server, `${root}${path === '/' ? '' : path}`, names.length);
      say(`zkCli.sh ls ${root}${path}: ${zkCli.listed ? 'listed' : `refused (${zkCli.detail})`}`);
    }
    listings.push({ path, children: names.length, listingBytes, zkCli });
  }
  return listings;
}

/**
 * `zkCli.sh -server S ls PATH`: listed when it printed a list of `expected` names or close
 * (jobs may settle meanwhile); otherwise the first line that says why.
 */
function zkCliList(
  server: string,
  path: string,
  expected: number,
): Promise<{ listed: boolean; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn(ZKCLI, ['-server', server, 'ls', path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ listed: false, detail: `could not run ${ZKCLI}: ${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const list = out.split('\n').find((line) => line.startsWith('[') && line.endsWith(']'));
      const count = list === undefined || list === '[]' ? 0 : list.split(',').length;
      if (code === 0 && count >= expected * 0.9) {
        resolve({ listed: true, detail: `${count} names` });
        return;
      }
      const why =
        out
          .split('\n')
          .find((line) => /exception|error|out of range|len/i.test(line))
          ?.trim()
          .slice(0, 200) ??
        (signal === null ? `exit ${code}, ${count} names` : `killed by ${signal} after 60 s`);
      resolve({ listed: false, detail: why });
    });
  });
}

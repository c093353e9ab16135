/**
 * The benches' tree: `root` holding a marker node and parents of children, and a writer
 * making `rate` changes a second under the parents (creates, data changes and deletes in
 * turn, so the node count stays about even). Shared by `bench top` and `bench dashboard`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Ensemble, fourLetterWord, parseSrvr, type SrvrReport } from '@zk-lab/deploy';
import { ZkClient } from '@zk-lab/zk-client';

export const parentName = (i: number, parents: number): string =>
  `p${String(i).padStart(String(parents - 1).length, '0')}`;

/** Creates the tree; returns the leaves' paths. */
export async function createTree(
  admin: ZkClient,
  root: string,
  marker: string,
  options: { parents: number; children: number },
): Promise<string[]> {
  await admin.create(root);
  await admin.create(marker, 'mark-000000');
  const parents = Array.from(
    { length: options.parents },
    (_, i) => `${root}/${parentName(i, options.parents)}`,
  );
  await Promise.all(parents.map((p) => admin.create(p)));
  const leaves: string[] = [];
  for (const parent of parents) {
    for (let c = 0; c < options.children; c++) leaves.push(`${parent}/c${c}`);
  }
  for (let i = 0; i < leaves.length; i += 1000) {
    await Promise.all(leaves.slice(i, i + 1000).map((l, j) => admin.create(l, `node ${i + j}`)));
  }
  return leaves;
}

export class Writer {
  private readonly live: string[] = [];
  private next = 0;
  private issued = 0;
  private kinds = 0;
  private timer: NodeJS.Timeout | null = null;
  private started = 0;
  private inFlight = 0;
  acked = 0;
  created = 0;
  deleted = 0;
  readonly errors: string[] = [];

  constructor(
    private readonly client: ZkClient,
    private rate: number,
    private readonly parents: string[],
    initial: string[],
  ) {
    for (const path of initial) this.live.push(path);
  }

  /** Starts (again) at `rate` changes a second, counting from now. */
  start(rate = this.rate): void {
    this.rate = rate;
    this.issued = 0;
    this.acked = 0;
    this.started = performance.now();
    this.timer = setInterval(() => this.tick(), 5);
  }

  /** Stops issuing; resolves once every change issued has its reply. */
  async stop(): Promise<{ seconds: number; changes: number }> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const seconds = (performance.now() - this.started) / 1000;
    while (this.inFlight > 0) await sleep(10);
    return { seconds, changes: this.acked };
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.started) / 1000) * this.rate);
    while (this.issued < due) {
      this.issued += 1;
      this.change(this.kinds++ % 3);
    }
  }

  private change(kind: number): void {
    const track = (p: Promise<unknown>, then: () => void = () => undefined): void => {
      this.inFlight += 1;
      p.then(
        () => {
          this.acked += 1;
          then();
        },
        (error: unknown) => {
          if (this.errors.length < 20) this.errors.push(String(error));
        },
      ).finally(() => (this.inFlight -= 1));
    };
    if (kind === 0 || this.live.length === 0) {
      const parent = this.parents[this.next % this.parents.length]!;
      const path = `${parent}/w${this.next++}`;
      track(this.client.create(path, `created ${this.next}`), () => {
        this.live.push(path);
        this.created += 1;
      });
      return;
    }
    const i = Math.floor(Math.random() * this.live.length);
    const path = this.live[i]!;
    if (kind === 1) {
      track(this.client.setData(path, `changed ${this.kinds}`));
      return;
    }
    // Taken out of the list as it is sent, so nothing later writes to it.
    this.live[i] = this.live[this.live.length - 1]!;
    this.live.pop();
    track(this.client.delete(path), () => (this.deleted += 1));
  }
}

/** A fresh 3-server ensemble holding the benches' tree, and an admin client on it. */
export interface BenchTree {
  ensemble: Ensemble;
  srvr: SrvrReport | null;
  connect: string;
  admin: ZkClient;
  parents: string[];
  leaves: string[];
}

/**
 * Starts a 3-server ensemble in `runDir` (tickTime 200 ms, -Xmx512m each) and creates the tree
 * under `root`. `started` gets the ensemble as soon as it runs, so the caller can stop it
 * whatever happens next.
 */
export async function startBenchTree(
  runDir: string,
  root: string,
  marker: string,
  options: { parents: number; children: number },
  say: (line: string) => void,
  started: (ensemble: Ensemble, admin: ZkClient | null) => void,
): Promise<BenchTree> {
  const ensemble = await Ensemble.start({
    stateDir: join(runDir, 'zk'),
    size: 3,
    tickTimeMs: 200,
    heapMb: 512,
    log: say,
  });
  started(ensemble, null);
  const leader = ensemble.node(await ensemble.waitForQuorum());
  const srvr = parseSrvr(await fourLetterWord('127.0.0.1', leader.clientPort, 'srvr'));
  const connect = ensemble.connectString();
  const admin = await ZkClient.connect({ connectString: connect, sessionTimeoutMs: 10_000 });
  started(ensemble, admin);
  say(`creating ${options.parents} × ${options.children} znodes under ${root}`);
  const leaves = await createTree(admin, root, marker, options);
  const parents = Array.from(
    { length: options.parents },
    (_, i) => `${root}/${parentName(i, options.parents)}`,
  );
  return { ensemble, srvr, connect, admin, parents, leaves };
}

/**
 * The worker-kill trials of `bench system`: a worker that holds tasks is SIGKILLed, and the
 * time until each of its tasks runs elsewhere is measured. Its tasks stay in its folder
 * until its session expires; then the leader hands them back to the queue and assigns them
 * to the other workers, which have free slots. "Elsewhere" is the moment the task node of
 * the same job key is created under another worker's folder, as the admin's persistent
 * recursive watch on `/assign` sees it. The killed worker is then started again with the
 * same id, and the trial waits until every job of it has its result.
 *
 * The jobs are sleeps of SLEEP_MS, so the victim still holds its tasks when it is killed:
 * enqueued by the admin with the producer's own job documents.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { assignDir, PATHS, resultPath } from '@zk-lab/lab-core';
import { AddWatchMode, dataOf, EventType, type ZkClient } from '@zk-lab/zk-client';
import { AdminJobs } from './admin-jobs';
import type { AppProcess } from './system-apps';

const SLEEP_MS = 3_000;

export interface WorkerSlot {
  id: string;
  port: number;
  process: AppProcess;
}

export interface WorkerKillTrial {
  trial: number;
  killed: string;
  /** Tasks in its folder when it was killed. */
  tasks: number;
  /** SIGKILL → the first and the last of its tasks created under another worker's folder. */
  firstElsewhereMs: number | null;
  lastElsewhereMs: number | null;
  error: string | null;
}

export class WorkerKillTrials {
  private readonly jobs: AdminJobs;

  constructor(
    private readonly admin: ZkClient,
    private readonly workers: WorkerSlot[],
    private readonly restart: (slot: WorkerSlot) => AppProcess,
    private readonly timeoutMs: number,
    private readonly say: (line: string) => void,
  ) {
    this.jobs = new AdminJobs(admin, 'sleep', JSON.stringify({ ms: SLEEP_MS }));
  }

  async run(trial: number): Promise<WorkerKillTrial> {
    const victim = this.workers[trial % this.workers.length]!;
    const outcome: WorkerKillTrial = {
      trial,
      killed: victim.id,
      tasks: 0,
      firstElsewhereMs: null,
      lastElsewhereMs: null,
      error: null,
    };
    const keys: string[] = [];
    try {
      // Two sleeps per worker: the leader spreads them, and the victim gets some.
      const enqueued = Array.from({ length: 2 * this.workers.length }, () => this.jobs.enqueue());
      keys.push(...(await Promise.all(enqueued)));
      const held = await this.tasksOf(victim.id, 10_000);
      if (held.length === 0) throw new Error(`${victim.id} was given no task within 10 s`);
      const elsewhere = new Map<string, number>();
      let killedAt = 0;
      const watch = await this.admin.addWatch(
        PATHS.assign,
        AddWatchMode.PERSISTENT_RECURSIVE,
        (event) => {
          if (event.type !== EventType.NodeCreated) return;
          const [worker, key] = event.path.slice(PATHS.assign.length + 1).split('/');
          if (key !== undefined && worker !== victim.id && held.includes(key)) {
            if (!elsewhere.has(key)) elsewhere.set(key, performance.now() - killedAt);
          }
        },
      );
      try {
        // What it holds now: a task it finished meanwhile is not one of the trial's.
        const holding = await this.tasksOf(victim.id, 0);
        held.splice(0, held.length, ...holding);
        outcome.tasks = held.length;
        killedAt = performance.now();
        victim.process.signal('SIGKILL');
        const deadline = killedAt + this.timeoutMs;
        while (elsewhere.size < held.length && performance.now() < deadline) await sleep(20);
      } finally {
        await watch.remove().catch(() => undefined);
      }
      const times = [...elsewhere.values()];
      if (times.length > 0) {
        outcome.firstElsewhereMs = Math.round(Math.min(...times));
        outcome.lastElsewhereMs =
          times.length === held.length ? Math.round(Math.max(...times)) : null;
      }
      if (times.length < held.length) {
        outcome.error = `${held.length - times.length} of ${held.length} tasks not elsewhere within ${this.timeoutMs} ms`;
      }
    } catch (error) {
      outcome.error = (error as Error).message;
    } finally {
      await victim.process.exited.catch(() => undefined);
      victim.process = this.restart(victim);
      await this.waitForResults(keys, this.timeoutMs + 2 * SLEEP_MS).catch((error: Error) => {
        outcome.error ??= error.message;
      });
    }
    this.say(
      `worker kill ${trial}: ${victim.id} held ${outcome.tasks} tasks; elsewhere after ` +
        `${outcome.firstElsewhereMs ?? '?'} to ${outcome.lastElsewhereMs ?? '?'} ms` +
        (outcome.error === null ? '' : ` (${outcome.error})`),
    );
    return outcome;
  }

  /** The worker's task keys; waits up to `waitMs` for at least one. */
  private async tasksOf(worker: string, waitMs: number): Promise<string[]> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const names = await this.admin.getChildren(assignDir(worker)).catch((): string[] => []);
      if (names.length > 0 || performance.now() >= deadline) return names;
      await sleep(20);
    }
  }

  /** Waits until every job of `keys` has its result: one multiRead of them all per look. */
  private async waitForResults(keys: string[], timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const reads = await this.admin.multiRead(
        keys.map((key) => ({ op: 'getData', path: resultPath(key) })),
      );
      const missing = keys.filter((_, i) => dataOf(reads[i]!) === null);
      if (missing.length === 0) return;
      if (performance.now() > deadline) {
        throw new Error(`no result for ${missing.join(', ')} within ${timeoutMs} ms`);
      }
      await sleep(50);
    }
  }
}

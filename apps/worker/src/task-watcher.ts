/**
 * TaskWatcher: finds the tasks the leader puts in `/assign/<id>` and hands them to the
 * executor while it has free slots, oldest job first.
 *
 * - A persistent watch on `/assign/<id>` (it may be set while the node is missing, and it
 *   survives the node's deletion and re-creation) triggers a rescan (getChildren) on every
 *   event; so do the start, the registration, a freed slot, a capacity change, RECONNECTED,
 *   and a timer every 2 s, as a backstop (it logs when it finds tasks no event pointed at).
 * - Rescans run one at a time; events during a rescan make one more.
 * - Tasks are taken only while registered: the leader assigns only to registered workers,
 *   and it requeues what it had assigned to this id while the node was gone.
 * - A task whose data does not parse is logged once and left alone: the leader repairs it.
 * - SUSPENDED: reads wait for the connection. LOST: the watch is dropped with the session;
 *   it is set again in the new session ('CONNECTED').
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assignDir,
  compareJobNames,
  decode,
  InvalidDataError,
  isJobName,
  TaskSchema,
  taskPath,
} from '@zk-lab/lab-core';
import {
  AddWatchMode,
  ClientClosedError,
  NoNodeError,
  SessionExpiredError,
  type WatchEvent,
  type WatchHandle,
  type ZkClient,
  type ZkStateEvent,
  EventType,
} from '@zk-lab/zk-client';
import type { TaskExecutor } from './task-executor';
import type { WorkerCapacity } from './worker-capacity';
import type { WorkerLog } from './worker-log';
import type { WorkerRegistration } from './worker-registration';

export interface TaskWatcherOptions {
  /** The backstop rescan's period. */
  backstopMs?: number;
}

type ScanReason =
  'start' | 'watch' | 'registered' | 'slot freed' | 'capacity' | 'reconnected' | 'backstop';

export class TaskWatcher {
  private state: 'LATENT' | 'STARTED' | 'CLOSED' = 'LATENT';
  private readonly dir: string;
  private watch: WatchHandle | null = null;
  private watchSession = 0n;
  private backstop: NodeJS.Timeout | null = null;
  /** Task names whose data did not parse (logged once each). */
  private readonly unreadable = new Set<string>();
  private scanning = false;
  /** Why the next scan is wanted; empty: none is. */
  private readonly pending = new Set<ScanReason>();
  private readonly backstopMs: number;

  constructor(
    private readonly client: ZkClient,
    private readonly workerId: string,
    private readonly executor: TaskExecutor,
    private readonly registration: WorkerRegistration,
    private readonly capacity: WorkerCapacity,
    private readonly log: WorkerLog,
    options: TaskWatcherOptions = {},
  ) {
    this.dir = assignDir(workerId);
    this.backstopMs = options.backstopMs ?? 2_000;
  }

  async start(): Promise<void> {
    if (this.state !== 'LATENT') throw new Error(`TaskWatcher is ${this.state}`);
    this.state = 'STARTED';
    this.client.on('state', this.onState);
    this.registration.on('registered', this.onRegistered);
    this.executor.on('finished', this.onSlotFreed);
    this.capacity.on('changed', this.onCapacity);
    this.backstop = setInterval(() => this.heal(), this.backstopMs);
    await this.armWatch();
    this.rescan('start');
  }

  async close(): Promise<void> {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.client.off('state', this.onState);
    this.registration.off('registered', this.onRegistered);
    this.executor.off('finished', this.onSlotFreed);
    this.capacity.off('changed', this.onCapacity);
    if (this.backstop !== null) clearInterval(this.backstop);
    const watch = this.watch;
    this.watch = null;
    await watch?.remove().catch(() => undefined);
  }

  private readonly onState = (state: ZkStateEvent): void => {
    if (state === 'CONNECTED') {
      // A new session: the old one's watch went with it.
      void this.armWatch().then(() => this.rescan('reconnected'));
    } else if (state === 'RECONNECTED') {
      this.rescan('reconnected');
    }
  };

  private readonly onRegistered = (): void => this.rescan('registered');
  private readonly onSlotFreed = (): void => this.rescan('slot freed');
  private readonly onCapacity = (): void => this.rescan('capacity');

  private readonly onWatch = (event: WatchEvent): void => {
    // None events are connection news, handled through the client's states.
    if (event.type !== EventType.None) this.rescan('watch');
  };

  /** The backstop: set the watch again if it is missing, and rescan. */
  private heal(): void {
    if (this.state !== 'STARTED') return;
    if (this.client.state === 'CONNECTED' && this.watchSession !== this.client.sessionId) {
      void this.armWatch();
    }
    this.rescan('backstop');
  }

  private async armWatch(): Promise<void> {
    const session = this.client.sessionId;
    if (this.state !== 'STARTED' || session === 0n || this.watchSession === session) return;
    try {
      const watch = await this.client.addWatch(this.dir, AddWatchMode.PERSISTENT, this.onWatch);
      if (this.state !== 'STARTED') {
        await watch.remove();
        return;
      }
      this.watch = watch;
      this.watchSession = session;
    } catch (error) {
      if (error instanceof ClientClosedError) return;
      // The backstop keeps rescanning and sets the watch again when it can.
      this.log.warn({ err: error, path: this.dir }, 'could not watch the task list');
    }
  }

  /** Asks for a scan; scans run one at a time, and requests during one make one more. */
  rescan(reason: ScanReason): void {
    if (this.state !== 'STARTED') return;
    this.pending.add(reason);
    if (this.scanning) return;
    this.scanning = true;
    void this.scanWhilePending();
  }

  /**
   * Runs scans while requests are pending. The flag is cleared in this same function, in
   * the same step as the loop's last look at `pending`: clearing it in a callback after the
   * promise settled left a gap of a few microtasks in which a request (a freed slot, say)
   * was parked with nobody to run it, until the backstop found it.
   */
  private async scanWhilePending(): Promise<void> {
    try {
      while (this.pending.size > 0 && this.state === 'STARTED') {
        const reasons = [...this.pending];
        this.pending.clear();
        try {
          const started = await this.scan();
          this.log.debug({ path: this.dir, reasons, started }, 'task rescan');
          if (started > 0 && reasons.every((reason) => reason === 'backstop')) {
            this.log.warn(
              { path: this.dir, started },
              'the backstop rescan found tasks no watch event reported',
            );
          }
        } catch (error) {
          if (!(error instanceof SessionExpiredError) && !(error instanceof ClientClosedError)) {
            this.log.warn(
              { err: error, path: this.dir },
              'task rescan failed; the backstop retries',
            );
          }
          // Leave the next try to the backstop or the next event, not a tight loop.
          await sleep(50);
        }
      }
    } finally {
      this.scanning = false;
    }
  }

  /** Starts what fits of the tasks not running yet; returns how many it started. */
  private async scan(): Promise<number> {
    if (!this.registration.registered || !this.executor.hasFreeSlot()) return 0;
    let names: string[];
    try {
      names = await this.client.getChildren(this.dir);
    } catch (error) {
      if (error instanceof NoNodeError) return 0; // the leader has not made it yet
      throw error;
    }
    for (const name of this.unreadable) if (!names.includes(name)) this.unreadable.delete(name);
    const waiting = names
      .filter((name) => !this.executor.isRunning(name) && !this.unreadable.has(name))
      .filter((name) => isJobName(name) || this.refuse(name, 'not a job key (job-<10 digits>)'))
      .sort(compareJobNames);
    // The reads of the tasks that fit are pipelined: one round trip for all of them.
    const fitting = waiting.slice(0, this.executor.freeSlots());
    const reads = await Promise.all(
      fitting.map(async (name) => {
        try {
          return { name, ...(await this.client.getData(taskPath(this.workerId, name))) };
        } catch (error) {
          if (error instanceof NoNodeError) return null; // taken back meanwhile
          throw error;
        }
      }),
    );
    let started = 0;
    for (const read of reads) {
      if (read === null) continue;
      if (!this.executor.hasFreeSlot() || !this.registration.registered) break;
      try {
        this.executor.start(
          read.name,
          decode(TaskSchema, read.data, `task ${read.name}`),
          read.stat.czxid,
        );
        started++;
      } catch (error) {
        if (!(error instanceof InvalidDataError)) throw error;
        this.refuse(read.name, error.detail);
      }
    }
    return started;
  }

  /** Leaves an unreadable task to the leader; logs it once. Returns false (for filter). */
  private refuse(name: string, detail: string): false {
    if (!this.unreadable.has(name)) {
      this.unreadable.add(name);
      this.log.error(
        { path: taskPath(this.workerId, name), error: detail },
        'unreadable task left for the leader to repair',
      );
    }
    return false;
  }
}

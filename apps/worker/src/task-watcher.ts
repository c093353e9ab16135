/**
 * TaskWatcher: finds the tasks the leader puts in `/assign/<id>` and hands them to the
 * executor while it has free slots, oldest job first.
 *
 * - A persistent recursive watch on `/assign/<id>` (it may be set while the node is missing,
 *   and it survives the node's deletion and re-creation) names each task created or deleted
 *   there. The watcher keeps the names it was told of (`announced`), so a scan needs no
 *   listing: a created task, a freed slot or a capacity change each make a scan of the
 *   names it knows, which reads the tasks that fit in one request.
 * - The folder is listed (getChildren) at the start, on registration, on RECONNECTED and a
 *   new session, when the folder itself is created or deleted, while the watch is not set,
 *   and by a timer every 2 s, as a backstop (it logs when it finds tasks no event pointed
 *   at). A listing replaces the names known; events that came while it was in flight are
 *   replayed over it (a session gets its notifications and replies in the servers' order,
 *   so for each name the last event replayed is at least as new as the listing).
 * - Rescans run one at a time; events during a rescan make one more.
 * - Tasks are taken only while registered, and only the ones bound to the session of the
 *   current registration (`workerSession`): a task of an earlier incarnation of this id
 *   (an earlier session of this process, or another process with the same id) is handed
 *   back, never run, so no task node runs in two processes.
 * - A task node that ran in this process is never started again (TaskExecutor).
 * - A task of another version (a newer protocol, or a job type this one does not know:
 *   still a task, by its envelope) is handed back for a worker that can run it. Anything
 *   else that does not parse is logged once and left to the leader, which buries it.
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
  sessionHex,
  speaksProtocol,
  type Task,
  TaskSchema,
  taskPath,
  workerPath,
} from '@zk-lab/lab-core';
import {
  AddWatchMode,
  ClientClosedError,
  dataOf,
  NoNodeError,
  SessionExpiredError,
  type WatchEvent,
  type WatchHandle,
  type ZkClient,
  type ZkStateEvent,
  EventType,
} from '@zk-lab/zk-client';
import { z } from 'zod';
import type { TaskExecutor } from './task-executor';
import type { TaskHandBack } from './task-hand-back';
import type { WorkerCapacity } from './worker-capacity';
import type { WorkerLog } from './worker-log';
import type { WorkerRegistration } from './worker-registration';

export interface TaskWatcherOptions {
  /** The backstop rescan's period. */
  backstopMs?: number;
}

/** What every version's task has: data that fits it is a task, maybe of another version. */
const TaskEnvelopeSchema = z.looseObject({
  id: z.uuid(),
  type: z.string(),
  attempt: z.number().int().min(1),
  worker: z.string(),
  workerSession: z.string(),
});

type ScanReason =
  'start' | 'watch' | 'registered' | 'slot freed' | 'capacity' | 'reconnected' | 'backstop';

/** Reasons whose scan lists the folder instead of trusting the names it was told of. */
const LISTING_REASONS: ReadonlySet<ScanReason> = new Set<ScanReason>([
  'start',
  'registered',
  'reconnected',
  'backstop',
]);

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
  /** Task names in the folder, from the last listing and the watch's events since. */
  private announced = new Set<string>();
  /** The watch's events while a listing is in flight, replayed over its answer. */
  private listingEvents: WatchEvent[] | null = null;
  /** The next scan lists the folder (the folder itself changed). */
  private listNext = true;

  constructor(
    private readonly client: ZkClient,
    private readonly workerId: string,
    private readonly executor: TaskExecutor,
    private readonly registration: WorkerRegistration,
    private readonly capacity: WorkerCapacity,
    private readonly handBacks: TaskHandBack,
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
    if (event.type === EventType.None) return;
    this.listingEvents?.push(event);
    this.apply(event);
  };

  /** A watch event on the names known; a created task asks for a scan. */
  private apply({ type, path }: WatchEvent): void {
    const rest = path.slice(this.dir.length);
    if (rest === '') {
      // The folder itself was created or deleted: list it.
      this.listNext = true;
      this.rescan('watch');
      return;
    }
    const name = rest.slice(1);
    if (name.includes('/')) return; // below a task: not a task
    if (type === EventType.NodeCreated) {
      this.announced.add(name);
      this.rescan('watch');
    } else if (type === EventType.NodeDeleted) {
      this.announced.delete(name);
    }
  }

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
      const watch = await this.client.addWatch(
        this.dir,
        AddWatchMode.PERSISTENT_RECURSIVE,
        this.onWatch,
      );
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
          const list =
            this.listNext ||
            this.watchSession !== this.client.sessionId ||
            reasons.some((reason) => LISTING_REASONS.has(reason));
          const started = await this.scan(list);
          this.log.debug({ path: this.dir, reasons, started }, 'task rescan');
          // A request that came in during this scan (a watch event, a freed slot) would have
          // found what it found: the scan reads after its start, so it sees tasks created
          // meanwhile, and takes the slots freed meanwhile.
          const missed =
            reasons.every((reason) => reason === 'backstop') && this.pending.size === 0;
          if (started > 0 && missed) {
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

  /**
   * Starts what fits of the tasks not running yet; returns how many it started. `list`:
   * list the folder first, else trust the names the watch told of.
   */
  private async scan(list: boolean): Promise<number> {
    if (!this.registration.registered || !this.executor.hasFreeSlot()) {
      // The listing asked for is owed to the next scan.
      if (list) this.listNext = true;
      return 0;
    }
    if (list && !(await this.list())) return 0;
    const names = [...this.announced];
    for (const name of this.unreadable) if (!names.includes(name)) this.unreadable.delete(name);
    this.executor.forgetGone(new Set(names));
    const waiting = names
      .filter((name) => !this.executor.isRunning(name) && !this.unreadable.has(name))
      .filter((name) => isJobName(name) || this.refuse(name, 'not a job key (job-<10 digits>)'))
      .sort(compareJobNames);
    // The tasks that fit are read in one request (multiRead). Keys that ran here already
    // are read too, beyond the free slots: their node may be new.
    const ranBefore = waiting.filter((name) => this.executor.ranKey(name));
    const fitting = [
      ...waiting.filter((name) => !this.executor.ranKey(name)).slice(0, this.executor.freeSlots()),
      ...ranBefore,
    ];
    const results = await this.client.multiRead(
      fitting.map((name) => ({ op: 'getData', path: taskPath(this.workerId, name) })),
    );
    const reads = results.map((result, i) => {
      const read = dataOf(result); // null: taken back meanwhile
      return read && { name: fitting[i] as string, ...read };
    });
    const startable: { name: string; task: Task; czxid: bigint; version: number }[] = [];
    for (const read of reads) {
      if (read === null) continue;
      const session = this.registration.session;
      if (session === null) break;
      let task: Task;
      try {
        task = decode(TaskSchema, read.data, `task ${read.name}`);
      } catch (error) {
        if (!(error instanceof InvalidDataError)) throw error;
        if (isTaskEnvelope(read.data)) {
          await this.handBackUnreadable(read.name, read.stat.czxid, error.detail);
        } else {
          this.refuse(read.name, error.detail);
        }
        continue;
      }
      if (!speaksProtocol(task)) {
        await this.handBackUnreadable(read.name, read.stat.czxid, `protocol ${task.protocol}`);
      } else if (task.workerSession !== sessionHex(session)) {
        // Also a task this process ran in its earlier session and whose outcome it dropped
        // when that session ended: it goes back, never stays here unrun.
        await this.handBackStale(read.name, read.stat.czxid, task.workerSession, session);
      } else if (!this.executor.hasRun(read.name, read.stat.czxid)) {
        startable.push({
          name: read.name,
          task,
          czxid: read.stat.czxid,
          version: read.stat.version,
        });
      }
    }
    if (startable.length === 0) return 0;
    await this.confirmSession();
    // From here to the starts nothing awaits: they follow the confirmation at once.
    let started = 0;
    for (const run of startable) {
      if (!this.executor.hasFreeSlot()) break;
      if (this.executor.start(run.name, run.task, run.czxid, run.version)) started++;
    }
    return started;
  }

  /**
   * Lists the folder: its names replace the ones known, with the events seen meanwhile
   * replayed over them. False when the folder does not exist (the leader has not made it).
   */
  private async list(): Promise<boolean> {
    this.listNext = false;
    this.listingEvents = [];
    let names: string[];
    try {
      names = await this.client.getChildren(this.dir);
    } catch (error) {
      this.listingEvents = null;
      if (error instanceof NoNodeError) {
        this.announced.clear();
        return false;
      }
      this.listNext = true;
      throw error;
    }
    const events = this.listingEvents;
    this.listingEvents = null;
    this.announced = new Set(names);
    for (const event of events) this.apply(event);
    return true;
  }

  /**
   * One round trip after the reads, before any run starts: the reads' answers may have
   * waited in the socket while this process was paused past its session, and a task read
   * then is no longer this session's (the leader requeues the tasks of an ended session).
   * The server answers this only while the session lives; else it fails (ConnectionLoss,
   * SessionExpired) and nothing starts. What remains is the few synchronous steps between
   * this answer and the execution's log line: a pause exactly there is what the fencing
   * token is for.
   */
  private async confirmSession(): Promise<void> {
    await this.client.exists(this.dir);
  }

  /** A task this version cannot read goes back to the queue, for a worker that can. */
  private async handBackUnreadable(name: string, czxid: bigint, detail: string): Promise<void> {
    const reason = `worker ${this.workerId} cannot read the task: ${detail}`;
    const outcome = await this.handBacks.handBack(name, reason, czxid);
    if (outcome === 'unreadable' || outcome === 'conflict') {
      this.refuse(name, `${detail} (${outcome})`);
    } else if (outcome === 'handed_back') {
      this.log.warn({ path: taskPath(this.workerId, name), reason }, 'task handed back');
    }
  }

  /**
   * A task bound to another session of this id: handed back, once the registration is
   * known to be this session's (else the task may be the current registration's).
   */
  private async handBackStale(
    name: string,
    czxid: bigint,
    bound: string,
    session: bigint,
  ): Promise<void> {
    const registration = await this.client.exists(workerPath(this.workerId));
    if (registration?.ephemeralOwner !== session) return;
    const reason = `assigned to session ${bound} of worker ${this.workerId}, which is gone`;
    const outcome = await this.handBacks.handBack(name, reason, czxid);
    if (outcome === 'handed_back') {
      this.log.warn({ path: taskPath(this.workerId, name), reason }, 'task handed back');
    }
  }

  /** Leaves a task alone (the leader repairs it); logs it once. Returns false (for filter). */
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

/** Whether `data` is a task of some version (a JSON object with a task's envelope). */
function isTaskEnvelope(data: Buffer): boolean {
  try {
    return TaskEnvelopeSchema.safeParse(JSON.parse(data.toString('utf8'))).success;
  } catch {
    return false;
  }
}

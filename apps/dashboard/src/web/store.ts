/**
 * The page's state and the one stream that feeds it. Each piece of state is a Signal, so a
 * panel re-renders only for what it shows. Tree batches are queued and applied once per
 * animation frame (in a hidden tab, which gets no frames, every 250 ms); chart samples are
 * only appended here (the charts redraw at most once a second).
 */
import {
  ActionCatalogSchema,
  ActionRunSchema,
  ChaosRunViewSchema,
  ChildrenPageSchema,
  HelloSchema,
  NodeDetailSchema,
  SampleSchema,
  SnapshotSchema,
  TimelineEventSchema,
  TreeBatchSchema,
  WatchFanoutSchema,
  type ActionInfoSchema,
  type ActionRun,
  type ChaosRunView,
  type Hello,
  type NodeDetail,
  type Prediction,
  type Sample,
  type Snapshot,
  type TimelineEvent,
  type TreeBatch,
  type WatchFanout,
} from '../protocol';
import { ApiFailure, getJson, parseWith, postJson, query } from './api';
import { JobTracker, type JobView } from './jobs';
import { FrameScheduler } from './frame-scheduler';
import { baseName, pathsDown } from './paths';
import { Signal } from './signal';
import { TreeModel } from './tree-model';
import type { z } from 'zod';

export type ActionInfo = z.infer<typeof ActionInfoSchema>;

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/** Five minutes of one-second samples. */
const SAMPLE_WINDOW = 300;
const TIMELINE_LIMIT = 500;
const PAGE_SIZE = 200;
/** Times a later page is asked for while it comes back older than the stream. */
const PAGE_ATTEMPTS = 3;
/** Tree batches waiting for a frame at most (10 a second come at most). */
const MAX_PENDING_BATCHES = 100;

export interface Notice {
  id: number;
  text: string;
}

export const hello = new Signal<Hello | null>(null);
export const stream = new Signal<StreamState>('connecting');
export const snapshot = new Signal<Snapshot | null>(null);
export const samples = new Signal<readonly Sample[]>([]);
export const timeline = new Signal<readonly TimelineEvent[]>([]);
export const jobs = new Signal<readonly JobView[]>([]);
export const actions = new Signal<readonly ActionInfo[]>([]);
export const runs = new Signal<readonly ActionRun[]>([]);
export const chaos = new Signal<ChaosRunView | null>(null);
export const errors = new Signal<readonly Notice[]>([]);
export const fanouts = new Signal<readonly WatchFanout[]>([]);
/** The tree model (one per root) and its version, which changes whenever its rows do. */
export const tree = new Signal<TreeModel | null>(null);
export const treeVersion = new Signal(0);
export const droppedChanges = new Signal(0);
export const selected = new Signal<string | null>(null);
export const detail = new Signal<NodeDetail | null>(null);
/** The selected path when ZooKeeper says it does not exist (deleted while selected). */
export const detailGone = new Signal<string | null>(null);
/** A row to scroll to (the number makes a second "go to" of the same path scroll again). */
export const scrollTarget = new Signal<{ path: string; n: number } | null>(null);
/** Bumped when a change touches the election, the queue or the assignments. */
export const recipeTick = new Signal(0);

let noticeId = 0;

/** Shows a line in the error banner (and the console). */
export function reportError(error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  if (!(error instanceof ApiFailure)) console.error('dashboard:', error);
  // The same line again (say, a mismatch in every snapshot) is not stacked up.
  errors.update((list) =>
    list.some((notice) => notice.text === text)
      ? list
      : [...list.slice(-4), { id: ++noticeId, text }],
  );
}

export function dismissError(id: number): void {
  errors.update((list) => list.filter((notice) => notice.id !== id));
}

let jobTracker: JobTracker | null = null;
const pendingBatches: TreeBatch[] = [];
const frames = new FrameScheduler(applyPending);
/** Page requests on their way, by path and offset: the model and generation they are for. */
const loading = new Map<string, { model: TreeModel; generation: number }>();

function model(): TreeModel | null {
  return tree.get();
}

function publishTree(): void {
  const m = model();
  if (m !== null) treeVersion.set(m.version);
}

// ---- the tree -------------------------------------------------------------------------

/**
 * Loads a page of `path`'s children into the model. The model holds the changes under a list
 * until its first page lands, and refuses an answer asked for before a reset (a reload): the
 * page and the stream are ordered by the server's sequence numbers (see TreeModel).
 */
export async function loadChildren(path: string, offset = 0, limit = PAGE_SIZE): Promise<void> {
  const m = model();
  const key = `${path}@${offset}`;
  if (m === null) return;
  const ticket = m.startLoad(path, offset);
  const inFlight = loading.get(key);
  // The same request on its way for this very model, since its last reset: it will do.
  if (inFlight?.model === m && inFlight.generation === ticket.generation) return;
  const request = { model: m, generation: ticket.generation };
  loading.set(key, request);
  try {
    // A later page older than what the stream told of the list's end is asked for again.
    for (let attempt = 1; ; attempt++) {
      const page = await getJson(
        `/api/children?${query({ path, offset, limit })}`,
        ChildrenPageSchema,
      );
      if (model() !== m) return;
      // Applied in the frame's time, so a change it replays flashes like one from the stream.
      const answer = m.addPage(page, ticket, performance.now(), attempt >= PAGE_ATTEMPTS);
      if (answer === 'added') publishTree();
      if (answer !== 'older') break;
    }
  } catch (error) {
    if (model() === m) m.failLoad(ticket, performance.now());
    reportError(error);
  } finally {
    if (loading.get(key) === request) loading.delete(key);
  }
}

export function loadMore(path: string): void {
  const m = model();
  if (m?.isLoaded(path) === true) void loadChildren(path, m.loadedCount(path));
}

export function toggle(path: string): void {
  const m = model();
  if (m === null) return;
  if (m.expanded.has(path)) m.collapse(path);
  else {
    m.expand(path);
    if (!m.isLoaded(path)) void loadChildren(path);
  }
  publishTree();
}

/** Loads again everything shown: after a reconnection or a `reload` batch. */
async function reloadTree(): Promise<void> {
  const m = model();
  if (m === null) return;
  m.reset();
  publishTree();
  const open = [...m.expanded].sort((a, b) => a.length - b.length);
  await Promise.all(open.map((path) => loadChildren(path)));
  const path = selected.get();
  if (path !== null) void loadDetail(path);
}

function applyPending(): void {
  const m = model();
  const batches = pendingBatches.splice(0);
  if (m === null) return;
  const now = performance.now();
  let reload = false;
  let dropped = 0;
  let touchesRecipes = false;
  let touchesSelected = false;
  const sel = selected.get();
  const recipeRoots = ['election', 'queue', 'assign', 'workers'].map(
    (name) => `${m.root === '/' ? '' : m.root}/${name}`,
  );
  for (const batch of batches) {
    if (batch.reload) reload = true;
    dropped += batch.dropped;
    m.applyBatch(batch, now);
    if (jobTracker?.apply(batch.changes, Date.now()) === true) jobs.set(jobTracker.list());
    for (const change of batch.changes) {
      if (change.path === sel) touchesSelected = true;
      if (!touchesRecipes && recipeRoots.some((root) => change.path.startsWith(root)))
        touchesRecipes = true;
    }
  }
  if (dropped > 0) droppedChanges.update((n) => n + dropped);
  if (touchesRecipes) recipeTick.update((n) => n + 1);
  m.sweep(now);
  publishTree();
  if (reload) void reloadTree();
  else if (touchesSelected && sel !== null) void loadDetail(sel);
  if (m.busy()) scheduleFrame();
}

function scheduleFrame(): void {
  frames.schedule();
}

/**
 * A batch for the next frame. A tab hidden for minutes runs its timers once a minute at most
 * (Chromium's intensive throttling): past MAX_PENDING_BATCHES the waiting ones give way to a
 * reload of what the page shows, so a hidden tab holds bounded memory.
 */
function queueBatch(batch: TreeBatch): void {
  if (pendingBatches.length >= MAX_PENDING_BATCHES) {
    const dropped = pendingBatches.reduce((n, b) => n + b.dropped + b.changes.length, 0);
    pendingBatches.length = 0;
    pendingBatches.push({ changes: [], dropped, reload: true });
  }
  pendingBatches.push(batch);
  scheduleFrame();
}

// ---- the selected node ----------------------------------------------------------------

let detailRequest = 0;

async function loadDetail(path: string): Promise<void> {
  const request = ++detailRequest;
  try {
    const node = await getJson(`/api/node?${query({ path })}`, NodeDetailSchema);
    if (request !== detailRequest) return;
    detailGone.set(null);
    detail.set(node);
  } catch (error) {
    if (request !== detailRequest) return;
    // Deleted while selected: what the pane says, not an error.
    if (error instanceof ApiFailure && error.status === 404) {
      detail.set(null);
      detailGone.set(path);
      return;
    }
    reportError(error);
  }
}

export function select(path: string): void {
  selected.set(path);
  if (detail.get()?.path !== path) detail.set(null);
  void loadDetail(path);
}

/** Expands the tree down to `path` (loading pages until each step is found) and selects it. */
export async function goTo(input: string): Promise<void> {
  const m = model();
  if (m === null) return;
  let path = input.trim().replace(/\/+$/, '') || '/';
  if (!path.startsWith('/')) path = `${m.root === '/' ? '' : m.root}/${path}`;
  const steps = pathsDown(m.root, path);
  if (steps === null) {
    reportError(new Error(`${path} is not under ${m.root}`));
    return;
  }
  for (let i = 0; i < steps.length - 1; i++) {
    const parent = steps[i] as string;
    const name = baseName(steps[i + 1] as string);
    m.expand(parent);
    if (!m.isLoaded(parent)) await loadChildren(parent);
    const has = () => m.lists.get(parent)?.names.includes(name) ?? false;
    // Twice at most: a node created a moment ago may be in ZooKeeper and not yet in what the
    // stream brought; the second time the parent's first page is read again.
    for (let round = 0; round < 2 && !has(); round++) {
      if (round > 0) await loadChildren(parent);
      // A child far down a long list: load pages until it is there (bounded).
      for (let pages = 0; pages < 100 && !has() && m.hasMore(parent); pages++) {
        await loadChildren(parent, m.loadedCount(parent), 1000);
      }
    }
    if (!has()) {
      publishTree();
      reportError(new Error(`no node ${steps[i + 1]}`));
      return;
    }
  }
  publishTree();
  select(path);
  scrollTarget.set({ path, n: (scrollTarget.get()?.n ?? 0) + 1 });
}

export async function saveNode(path: string, base64: string, version: number): Promise<boolean> {
  try {
    detail.set(await postJson('/api/node', { path, base64, version }, NodeDetailSchema));
    return true;
  } catch (error) {
    reportError(error);
    // A 409: someone changed it since; show the version it has now.
    if (error instanceof ApiFailure && error.status === 409) void loadDetail(path);
    return false;
  }
}

// ---- actions ---------------------------------------------------------------------------

function upsertRun(run: ActionRun): void {
  runs.update((list) => [run, ...list.filter((r) => r.id !== run.id)].slice(0, 20));
}

export async function runAction(
  kind: string,
  prediction: Prediction | undefined,
): Promise<ActionRun | null> {
  try {
    const run = await postJson('/api/actions', { kind, prediction }, ActionRunSchema);
    upsertRun(run);
    return run;
  } catch (error) {
    reportError(error);
    return null;
  }
}

export async function runChaos(seed: number, rounds: number): Promise<void> {
  try {
    chaos.set(await postJson('/api/chaos', { seed, rounds }, ChaosRunViewSchema));
  } catch (error) {
    reportError(error);
  }
}

async function loadCatalog(): Promise<void> {
  try {
    const catalog = await getJson('/api/actions', ActionCatalogSchema);
    actions.set(catalog.actions);
    for (const run of [...catalog.runs].sort((a, b) => a.startedAt - b.startedAt)) upsertRun(run);
  } catch (error) {
    reportError(error);
  }
}

// ---- the stream ------------------------------------------------------------------------

function addSample(sample: Sample): void {
  samples.update((list) => {
    const last = list[list.length - 1];
    if (last !== undefined && sample.time <= last.time) return list;
    const next =
      list.length >= SAMPLE_WINDOW ? list.slice(list.length - SAMPLE_WINDOW + 1) : list.slice();
    next.push(sample);
    return next;
  });
}

const seenEvents = new Set<string>();

function addTimeline(event: TimelineEvent): void {
  // A reconnected stream may send the same history again.
  const key = `${event.time}|${event.kind}|${event.source ?? ''}|${event.text}`;
  if (seenEvents.has(key)) return;
  seenEvents.add(key);
  timeline.update((list) => {
    const next = [event, ...list];
    next.sort((a, b) => b.time - a.time);
    return next.slice(0, TIMELINE_LIMIT);
  });
}

function onHello(next: Hello): void {
  const before = hello.get();
  if (before !== null && before.build !== next.build) {
    // The server now serves another build of this page.
    location.reload();
    return;
  }
  hello.set(next);
  stream.set('live');
  // Batches of the stream before this one: the load below supersedes them (and the numbers
  // of a restarted server's tree start again).
  pendingBatches.length = 0;
  if (model()?.root !== next.root) {
    tree.set(new TreeModel(next.root));
    jobTracker = new JobTracker(next.root);
    jobs.set([]);
    void loadChildren(next.root);
  } else {
    void reloadTree();
  }
  void getJson('/api/snapshot', SnapshotSchema).then((s) => snapshot.set(s), reportError);
  void loadCatalog();
}

export function connect(): void {
  const source = new EventSource('/api/events');
  const on = <T>(name: string, handle: (data: unknown) => T): void => {
    source.addEventListener(name, (event: MessageEvent<string>) => {
      try {
        handle(JSON.parse(event.data) as unknown);
      } catch (error) {
        reportError(error);
      }
    });
  };
  on('hello', (data) => onHello(parseWith(HelloSchema, 'hello event', data)));
  on('snapshot', (data) => snapshot.set(parseWith(SnapshotSchema, 'snapshot event', data)));
  on('sample', (data) => addSample(parseWith(SampleSchema, 'sample event', data)));
  on('timeline', (data) => addTimeline(parseWith(TimelineEventSchema, 'timeline event', data)));
  on('tree', (data) => {
    queueBatch(parseWith(TreeBatchSchema, 'tree event', data));
  });
  on('action', (data) => upsertRun(parseWith(ActionRunSchema, 'action event', data)));
  on('chaos', (data) => chaos.set(parseWith(ChaosRunViewSchema, 'chaos event', data)));
  on('watches', (data) => {
    const fanout = parseWith(WatchFanoutSchema, 'watches event', data);
    fanouts.update((list) => [fanout, ...list].slice(0, 20));
  });
  source.onerror = () => {
    if (hello.get() !== null) stream.set('reconnecting');
    // EventSource retries by itself, except after an answer that is not a stream.
    if (source.readyState === EventSource.CLOSED) {
      stream.set('reconnecting');
      setTimeout(connect, 2000);
    }
  };
}

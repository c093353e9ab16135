/**
 * What the dashboard's server and its page say to each other: the JSON of every HTTP answer
 * and every server-sent event, as zod schemas. The server (apps/lab/src/dashboard) builds
 * values of these types; the page parses what it receives with them, so a server that drifts
 * from the page fails loudly in the browser's console instead of drawing nonsense.
 *
 * Transport:
 * - `GET /api/snapshot` → Snapshot.
 * - `GET /api/events` → text/event-stream. Event names and their data:
 *   `hello` (Hello, first and once per connection), `snapshot` (Snapshot, about once a
 *   second), `sample` (Sample, once a second), `timeline` (TimelineEvent), `tree`
 *   (TreeBatch, at most 10 a second), `action` (ActionRun, on every change of a run),
 *   `chaos` (ChaosRunView, on every change of a chaos run), `watches` (WatchFanout, on a
 *   change to a watched path when the server can read `wchp`).
 * - `GET /api/children?path=P&offset=N&limit=N` → ChildrenPage (children by name, paged, so a
 *   node with 100,000 children costs one page).
 * - `GET /api/node?path=P` → NodeDetail.
 * - `GET /api/actions` → ActionCatalog.
 * - Lab mode only, with the token (header `Authorization: Bearer TOKEN`):
 *   `POST /api/actions` (ActionRequest) → 202 ActionRun;
 *   `POST /api/chaos` (ChaosRequest) → 202 ChaosRunView;
 *   `POST /api/node` (NodeEdit) → 200 NodeDetail, or 409 with ApiError when the version
 *   does not match.
 * - Errors: any 4xx/5xx answer has an ApiError body. Read-only mode answers every POST with
 *   403 and ApiError `{ error: 'read-only: this dashboard changes nothing' }`; a missing or
 *   wrong token gives 401.
 *
 * Times are ms since the epoch. ZooKeeper's 64-bit numbers (zxids, session ids) are strings:
 * session ids as ZooKeeper prints them (`0x` and 16 hex digits), zxids as `0x` hex.
 */
import { z } from 'zod';

export const DashboardModeSchema = z.enum(['lab', 'read-only']);
export type DashboardMode = z.infer<typeof DashboardModeSchema>;

/** First event of every stream: who is speaking, and the history a new page starts from. */
export const HelloSchema = z.object({
  mode: DashboardModeSchema,
  connectString: z.string(),
  /** The subtree the tree panel shows (the lab's root, or `/` for any ensemble). */
  root: z.string(),
  /** The server's version of the page: a page from another build reloads itself. */
  build: z.string(),
});
export type Hello = z.infer<typeof HelloSchema>;

export const ZxidSchema = z.object({ epoch: z.number(), counter: z.number() });
export type Zxid = z.infer<typeof ZxidSchema>;

/** A ZooKeeper server as seen from outside (four-letter words) and, in lab mode, by the lab. */
export const ServerViewSchema = z.object({
  id: z.number(),
  /** host:port of its client port. */
  address: z.string(),
  role: z.enum([
    'leader',
    'follower',
    'observer',
    'standalone',
    'out-of-quorum',
    'not-answering',
    /** It answers, but refuses both srvr and mntr (its 4lw.commands.whitelist): role unknown. */
    'words-refused',
    'down',
  ]),
  /** Lab mode: cut from its peers by the fault proxy (isolated), or its clients' links cut. */
  partitioned: z.boolean(),
  /** Lab mode: SIGSTOPped by the lab. */
  paused: z.boolean(),
  zxid: ZxidSchema.nullable(),
  latency: z.object({ min: z.number(), avg: z.number(), max: z.number() }).nullable(),
  connections: z.number().nullable(),
  outstanding: z.number().nullable(),
  znodes: z.number().nullable(),
  watches: z.number().nullable(),
  ephemerals: z.number().nullable(),
  /** Four-letter words this server refused (not in 4lw.commands.whitelist). */
  refusedWords: z.array(z.string()),
  /** Why it could not be read, in one line, or null. */
  error: z.string().nullable(),
});
export type ServerView = z.infer<typeof ServerViewSchema>;

export const AppKindSchema = z.enum(['master', 'worker', 'producer']);

/** An app of the lab (lab mode), or a participant found in the namespace (read-only mode). */
export const AppViewSchema = z.object({
  name: z.string(),
  kind: AppKindSchema,
  process: z.enum(['up', 'down', 'paused', 'unresponsive', 'unknown']),
  /** Lab mode: its links to ZooKeeper are cut by the fault proxy. */
  partitioned: z.boolean(),
  /** Its ZooKeeper session, when known. */
  session: z.string().nullable(),
  /** Masters: leads now. */
  leading: z.boolean(),
  /** Masters: the epoch it leads or last saw. */
  epoch: z.number().nullable(),
  /** Workers: has its ephemeral registration. */
  registered: z.boolean(),
  /** Workers: the job keys it runs now. */
  running: z.array(z.string()),
  /** One line: what it does now ("leader, epoch 4", "registered, 2/4 running"). */
  role: z.string(),
});
export type AppView = z.infer<typeof AppViewSchema>;

/** A session that owns ephemeral nodes or belongs to an app: the thing that expires. */
export const SessionViewSchema = z.object({
  id: z.string(),
  /** The app it belongs to, when known. */
  owner: z.string().nullable(),
  /** The server its connection is on, when a server lists it (`cons`). */
  server: z.number().nullable(),
  timeoutMs: z.number().nullable(),
  /** Ephemeral nodes it owns (paths). */
  ephemerals: z.array(z.string()),
  /** No server lists a connection for it, or its client is paused or cut off. */
  connected: z.boolean(),
  /**
   * While not connected: when the server should have expired it (the dashboard server's
   * clock): last heard + its timeout + 2 ticks (the leader checks expiry once a tick, and a
   * follower forwards a client's pings only on its own next ping). Null when unknown, or
   * while it cannot expire (`expiryHeld`).
   */
  expiresBy: z.number().nullable(),
  /** `expiresBy` leaves out the 2 ticks: the servers refused `conf`, so tickTime is unknown. */
  expiryApproximate: z.boolean(),
  /** Why no countdown runs though its client is away ("no leader: sessions cannot expire now"). */
  expiryHeld: z.string().nullable(),
  /**
   * Why it is not connected: "client paused", "client cut off", "client dead", "client
   * silent", "no server lists its connection", "its client saw it expire", or null.
   */
  because: z.string().nullable(),
  /**
   * How it ended, kept listed a little while after: "closed" (its client closed it: the app
   * stopped cleanly, or it went well before its deadline; its ephemerals went at once) or
   * "expired" (its deadline passed, or its client logged SessionExpired). Null while it lives.
   */
  ended: z.enum(['closed', 'expired']).nullable(),
  /** When the dashboard saw it end (its server's clock), or null. */
  endedAt: z.number().nullable(),
});
export type SessionView = z.infer<typeof SessionViewSchema>;

export const CountsSchema = z.object({
  queued: z.number(),
  assigned: z.number(),
  results: z.number(),
  dead: z.number(),
  /** Tasks given back to the queue since the dashboard started (lab's logs). */
  requeues: z.number(),
});
export type Counts = z.infer<typeof CountsSchema>;

export const SnapshotSchema = z.object({
  /** The dashboard server's clock when it was read: the page corrects its countdowns by it. */
  time: z.number(),
  mode: DashboardModeSchema,
  servers: z.array(ServerViewSchema),
  /** The ZooKeeper leader's id, or null (no quorum). */
  zkLeader: z.number().nullable(),
  apps: z.array(AppViewSchema),
  leaderMaster: z.object({ name: z.string(), epoch: z.number().nullable() }).nullable(),
  sessions: z.array(SessionViewSchema),
  counts: CountsSchema.nullable(),
  /** The servers' tickTime (`conf`), or null when they refused `conf` or none answered. */
  tickMs: z.number().nullable(),
  /**
   * The namespace (apps found there, ephemerals, counts) could not be read: what is shown
   * of it is the last good reading, from `since`; null when it is fresh.
   */
  stale: z.object({ since: z.number(), why: z.string() }).nullable(),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** One second of the charts. Rates are per second over the last second; null when unknown. */
export const SampleSchema = z.object({
  time: z.number(),
  /** Requests the servers received (sum of `mntr` packets received). */
  requestsPerSec: z.number().nullable(),
  /** Writes: the leader's zxid counter's slope. */
  writesPerSec: z.number().nullable(),
  latencyAvgMs: z.number().nullable(),
  latencyMaxMs: z.number().nullable(),
  queueDepth: z.number().nullable(),
  completedPerSec: z.number().nullable(),
  /** Each server's last zxid, by server id (as a string key). */
  zxids: z.record(z.string(), ZxidSchema.nullable()),
});
export type Sample = z.infer<typeof SampleSchema>;

export const TimelineKindSchema = z.enum([
  'election',
  'join',
  'loss',
  'requeue',
  'config',
  'session',
  'server',
  'chaos',
  'heal',
  'info',
  'warn',
  'error',
]);

export const TimelineEventSchema = z.object({
  time: z.number(),
  kind: TimelineKindSchema,
  /** The app or server it is about ("m1", "zk2"), or null. */
  source: z.string().nullable(),
  text: z.string(),
});
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;

export const ZnodeTypeSchema = z.enum(['persistent', 'ephemeral', 'container', 'ttl']);

/** A node as a row of the tree. */
export const NodeSummarySchema = z.object({
  path: z.string(),
  name: z.string(),
  type: ZnodeTypeSchema,
  /** Guessed from the name (ten digits at its end): ZooKeeper records no such flag. */
  sequential: z.boolean(),
  /** The owning session of an ephemeral node, else null. */
  owner: z.string().nullable(),
  version: z.number(),
  numChildren: z.number(),
  dataLength: z.number(),
  /** The first bytes of its data as text (UTF-8 when it is, else hex), at most 80 chars. */
  preview: z.string(),
});
export type NodeSummary = z.infer<typeof NodeSummarySchema>;

export const ChildrenPageSchema = z.object({
  path: z.string(),
  /**
   * The server tree's sequence number this page reflects: every TreeChange with a `seq` up
   * to it is in the page already, every later one is not (see TreeChange.seq).
   */
  seq: z.number(),
  /** All the children there are, of which `children` is the page from `offset`. */
  total: z.number(),
  offset: z.number(),
  children: z.array(NodeSummarySchema),
});
export type ChildrenPage = z.infer<typeof ChildrenPageSchema>;

export const StatSchema = z.object({
  czxid: z.string(),
  mzxid: z.string(),
  pzxid: z.string(),
  ctime: z.number(),
  mtime: z.number(),
  version: z.number(),
  cversion: z.number(),
  aversion: z.number(),
  ephemeralOwner: z.string(),
  dataLength: z.number(),
  numChildren: z.number(),
});
export type StatView = z.infer<typeof StatSchema>;

export const NodeDetailSchema = z.object({
  path: z.string(),
  type: ZnodeTypeSchema,
  stat: StatSchema,
  /** The data, exactly, as base64. */
  base64: z.string(),
  /** How the page should show it first. */
  encoding: z.enum(['empty', 'utf8', 'json', 'binary']),
  /** The data as UTF-8 when it decodes without loss, else null. */
  text: z.string().nullable(),
});
export type NodeDetail = z.infer<typeof NodeDetailSchema>;

export const TreeChangeSchema = z.object({
  path: z.string(),
  /**
   * What ZooKeeper reported: `created`, `changed`, `deleted`. `children`: only the node's
   * child count moved (a child came or went; ZooKeeper reports nothing for the parent), its
   * row takes the count without flashing.
   */
  kind: z.enum(['created', 'changed', 'deleted', 'children']),
  /**
   * The server tree's sequence number after this change: each change it applies takes the
   * next one, and a ChildrenPage says up to which one it reflects, so the page applies a
   * change to a list exactly once whichever of the two arrives first. A `children` row
   * carries the number its count is as of.
   */
  seq: z.number(),
  /** The node after the change (absent for a deletion). */
  node: NodeSummarySchema.nullable(),
});
export type TreeChange = z.infer<typeof TreeChangeSchema>;

export const TreeBatchSchema = z.object({
  changes: z.array(TreeChangeSchema),
  /** Changes the server dropped from this batch because the page could not keep up. */
  dropped: z.number(),
  /** True after a reconnection or a new session: the page must reload what it shows. */
  reload: z.boolean(),
});
export type TreeBatch = z.infer<typeof TreeBatchSchema>;

/** Who watches a path, from the servers' `wchp` (lab mode enables it). */
export const WatchFanoutSchema = z.object({
  time: z.number(),
  path: z.string(),
  /** Sessions with a watch on it, by server id. */
  watchers: z.array(z.object({ session: z.string(), server: z.number() })),
});
export type WatchFanout = z.infer<typeof WatchFanoutSchema>;

export const ActionInfoSchema = z.object({
  kind: z.string(),
  what: z.string(),
  /** What it breaks: "master", "worker", "producer", "zookeeper", "config", "namespace". */
  group: z.string(),
});

export const PredictionSchema = z.object({
  /** Who the learner thinks leads the masters after the action. */
  leader: z.string().nullable(),
  /** What the learner thinks the faulted client sees. */
  clientSees: z.enum(['nothing', 'ConnectionLoss', 'SessionExpired']).nullable(),
});
export type Prediction = z.infer<typeof PredictionSchema>;

export const ActionRequestSchema = z.object({
  kind: z.string(),
  prediction: PredictionSchema.optional(),
});
export type ActionRequest = z.infer<typeof ActionRequestSchema>;

export const ActionRunSchema = z.object({
  id: z.string(),
  kind: z.string(),
  target: z.string().nullable(),
  state: z.enum(['running', 'healing', 'healed', 'not-healed', 'failed']),
  startedAt: z.number(),
  /** How long the fault was in force. */
  heldMs: z.number().nullable(),
  /** From the end of the fault to a whole lab again. */
  healMs: z.number().nullable(),
  /** Why it is not healed (yet), or why it failed. */
  why: z.string().nullable(),
  note: z.string().nullable(),
  leaderBefore: z.string().nullable(),
  leaderAfter: z.string().nullable(),
  /** What the faulted client saw, from its log: "ConnectionLoss", "SessionExpired", "nothing". */
  clientSaw: z.string().nullable(),
  prediction: PredictionSchema.nullable(),
});
export type ActionRun = z.infer<typeof ActionRunSchema>;

export const ActionCatalogSchema = z.object({
  actions: z.array(ActionInfoSchema),
  runs: z.array(ActionRunSchema),
});
export type ActionCatalog = z.infer<typeof ActionCatalogSchema>;

export const ChaosRequestSchema = z.object({
  seed: z.number().int(),
  rounds: z.number().int().min(1).max(5),
});

export const ChaosRunViewSchema = z.object({
  seed: z.number(),
  state: z.enum(['running', 'judging', 'pass', 'fail', 'failed']),
  done: z.number(),
  total: z.number(),
  /** The last line the runner said. */
  last: z.string().nullable(),
  violations: z.array(z.string()),
});
export type ChaosRunView = z.infer<typeof ChaosRunViewSchema>;

export const NodeEditSchema = z.object({
  path: z.string(),
  /** The new data, exactly, as base64. */
  base64: z.string(),
  /**
   * The version the edit was made from: ZooKeeper refuses it if the node moved on. Never -1
   * (ZooKeeper's "any version"): an edit from the page is always a checked one.
   */
  version: z.number().int().min(0),
});
export type NodeEdit = z.infer<typeof NodeEditSchema>;

export const ApiErrorSchema = z.object({ error: z.string() });
export type ApiError = z.infer<typeof ApiErrorSchema>;

export const TOKEN_HEADER = 'authorization';
export const READ_ONLY_REFUSAL = 'read-only: this dashboard changes nothing';

/**
 * `lab top [PATH] [--connect host:port,…]`: the live terminal view of a subtree. It wires the
 * plain parts together (ZnodeTree, SubtreeMirror, TreeWindow, ChangeLog, the ensemble
 * reader) and draws a frame at most ten times a second, whatever the rate of changes.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Ensemble } from '@zk-lab/deploy';
import { ConnectionSettingsError, DEFAULT_ROOT, resolveConnection } from '@zk-lab/lab-core';
import {
  InvalidPathError,
  LAN_RECONNECT_BACKOFF,
  parentPath,
  validatePath,
  ZkClient,
  type ZkStateEvent,
} from '@zk-lab/zk-client';
import { stateDir } from '../options';
import type { Output } from '../output';
import { ChangeLog, EventRate, RenderBacklog } from './change-log';
import { type EnsembleReader, MonitorEnsembleReader, type ServerReading } from './ensemble-panel';
import { layoutScreen, type Followed } from './screen-layout';
import { SubtreeMirror } from './subtree-mirror';
import { type KeyPress, openScreen, type TerminalScreen } from './top-screen';
import { splitKeys } from './key-presses';
import { TreeWindow } from './tree-window';
import { sessionHex, ZnodeTree } from './znode-tree';

export const TOP_USAGE = `lab top [PATH] [--connect host:port,…] [--state DIR]

The live view of the subtree under PATH (default: the lab's root ${DEFAULT_ROOT} on the lab's
ensemble, / on any other): one persistent recursive watch keeps it current; created,
changed and deleted nodes flash green, yellow and red with the owning session of ephemeral
ones; an ensemble panel (lab monitor's reading every 2 s), the sessions and their ephemeral nodes, an event
log and a status line (connection, nodes, events/s, falling behind).

Keys: ↑/↓ or k/j move, PgUp/PgDn a page, →/Enter/l expand, ←/h collapse (or go to the
parent), f follow the selected node (its data and Stat in a pane), / filter by substring
(Enter keeps it, Esc clears it), q or Ctrl-C quit.

Options:
  --connect HOSTS  the ensemble (default $ZK_CONNECT, else the lab's running ensemble)
  --state DIR      the lab's state, to find its ensemble (default $ZK_LAB_STATE or ./.lab)

It needs a terminal: with stdin or stdout not a TTY it refuses (exit code 2).
Exit codes: 0 quit, 1 could not connect, 2 bad usage or no terminal.`;

const FRAME_MS = 100;
const POLL_MS = 2_000;
const DETAIL_BYTES = 4_096;

interface TopTarget {
  connectString: string;
  path: string;
}

/** Runs `lab top`; returns the exit code. */
export async function runTop(argv: string[], io: Output): Promise<number> {
  let target: TopTarget;
  try {
    const parsed = parseTopArgs(argv);
    if (parsed === 'help') {
      io.out(TOP_USAGE);
      return 0;
    }
    target = parsed;
  } catch (error) {
    if (error instanceof TopUsageError || error instanceof ConnectionSettingsError) {
      io.err(`error: ${error.message} (lab top --help)`);
      return 2;
    }
    throw error;
  }
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    io.err(
      'error: lab top needs a terminal (stdin and stdout a TTY); for scripts use lab zk status',
    );
    return 2;
  }
  let client: ZkClient;
  try {
    client = await ZkClient.connect({
      connectString: target.connectString,
      sessionTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      reconnectBackoff: LAN_RECONNECT_BACKOFF,
    });
  } catch (error) {
    io.err(`error: cannot connect to ${target.connectString}: ${(error as Error).message}`);
    return 1;
  }
  const view = new LiveView(client, target, new MonitorEnsembleReader(target.connectString));
  try {
    await view.run();
  } finally {
    await client.close();
  }
  return 0;
}

class TopUsageError extends Error {
  override readonly name = 'TopUsageError';
}

function parseTopArgs(argv: string[]): TopTarget | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        connect: { type: 'string' },
        state: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new TopUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length > 1) {
    throw new TopUsageError(`unexpected argument(s): ${positionals.slice(1).join(' ')}`);
  }
  let connect = values.connect ?? (process.env.ZK_CONNECT || undefined);
  let lab = false;
  if (connect === undefined) {
    const zkState = join(resolve(stateDir(values.state)), 'zk');
    if (existsSync(join(zkState, 'ensemble.json'))) {
      connect = Ensemble.open(zkState).connectString();
      lab = true;
    }
  }
  // The same checks (and message when there is nothing to connect to) as every app's.
  const { connectString } = resolveConnection({ connect }, {});
  const path = positionals[0] ?? (lab ? DEFAULT_ROOT : '/');
  try {
    validatePath(path, { op: 'top' });
  } catch (error) {
    if (error instanceof InvalidPathError)
      throw new TopUsageError(`bad path ${JSON.stringify(path)}`);
    throw error;
  }
  return { connectString, path };
}

/** The running view: the model, the mirror, the timers and the keys. */
class LiveView {
  private readonly tree: ZnodeTree;
  private readonly window = new TreeWindow();
  private readonly log = new ChangeLog();
  private readonly rate = new EventRate();
  private readonly backlog = new RenderBacklog();
  private readonly mirror: SubtreeMirror;
  private screen: TerminalScreen | null = null;
  private servers: ServerReading[] | null = null;
  private settledEvents = 0;
  private dirty = true;
  private lastFrame = 0;
  /** A frame asked for by a change, due when FRAME_MS have passed since the last one. */
  private frameTimer: NodeJS.Timeout | null = null;
  private treeHeight = 10;
  private following = false;
  private followed: Followed | null = null;
  private editingFilter = false;
  private finished: (() => void) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly client: ZkClient,
    private readonly target: TopTarget,
    private readonly ensemble: EnsembleReader,
  ) {
    this.tree = new ZnodeTree({ root: target.path });
    this.window.select(target.path);
    this.mirror = new SubtreeMirror(client, this.tree, {
      arrived: () => {
        this.backlog.arrived();
        this.rate.count();
      },
      settled: (change) => {
        this.settledEvents += 1;
        if (change !== null) {
          this.log.add({ at: Date.now(), ...change });
          if (change.path === this.followed?.path) this.readFollowed(change.path);
        }
        this.markDirty();
      },
      note: (text) => this.note(text),
    });
  }

  async run(): Promise<void> {
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    this.screen = await openScreen((key) => this.key(key));
    const onState = (event: ZkStateEvent) => this.note(`${event.toLowerCase()}`);
    this.client.on('state', onState);
    const quit = () => this.quit();
    process.on('SIGTERM', quit);
    process.on('SIGHUP', quit);
    this.timers.push(setInterval(() => this.frame(), FRAME_MS));
    this.timers.push(setInterval(() => void this.poll(), POLL_MS));
    void this.poll();
    this.frame();
    this.mirror.start().catch((error: unknown) => this.note(`load failed: ${String(error)}`));
    try {
      await done;
    } finally {
      for (const timer of this.timers) clearInterval(timer);
      if (this.frameTimer !== null) clearTimeout(this.frameTimer);
      process.off('SIGTERM', quit);
      process.off('SIGHUP', quit);
      this.client.off('state', onState);
      await this.mirror.stop();
      await this.screen.close();
    }
  }

  private quit(): void {
    this.finished?.();
  }

  private note(text: string): void {
    this.log.add({ at: Date.now(), kind: 'connection', path: text, session: null });
    this.markDirty();
  }

  private async poll(): Promise<void> {
    this.servers = await this.ensemble.read();
    this.markDirty();
  }

  private readFollowed(path: string): void {
    this.client.getData(path).then(
      ({ data }) => {
        if (this.followed?.path !== path) return;
        this.followed.data = data.subarray(0, DETAIL_BYTES);
        this.markDirty();
      },
      () => undefined, // deleted: the tree says so
    );
  }

  /**
   * Something to draw: a frame at once when none was drawn in the last FRAME_MS (a key or a
   * lone change shows without waiting for the next tick), else when that time is up.
   */
  private markDirty(): void {
    this.dirty = true;
    if (this.frameTimer !== null) return;
    const wait = Math.max(0, this.lastFrame + FRAME_MS - Date.now());
    this.frameTimer = setTimeout(() => {
      this.frameTimer = null;
      this.frame();
    }, wait);
  }

  /**
   * Draws a frame when something changed (at most one per FRAME_MS), or twice a second for
   * the rates and flashes.
   */
  private frame(): void {
    const now = Date.now();
    if (now - this.lastFrame < FRAME_MS) return;
    if (this.tree.expireFlashes()) this.dirty = true;
    if (!this.dirty && now - this.lastFrame < 500) return;
    if (this.screen === null) return;
    this.dirty = false;
    this.lastFrame = now;
    const applied = this.settledEvents;
    const cols = process.stdout.columns || 120;
    const rows = process.stdout.rows || 40;
    if (this.following) {
      const path = this.window.selection;
      if (path !== null && this.tree.get(path) !== undefined) this.tree.reveal(path);
      if (path !== null && this.followed?.path !== path) {
        this.followed = { path, entry: undefined, data: null };
        this.readFollowed(path);
      }
    }
    if (this.followed !== null) this.followed.entry = this.tree.get(this.followed.path);
    const state = this.client.state;
    const lines = layoutScreen({
      cols,
      rows,
      root: this.target.path,
      connectString: this.target.connectString,
      tree: (height) => {
        this.treeHeight = height;
        return this.window.window(this.tree.rows(), height);
      },
      nodeCount: this.tree.size,
      servers: this.servers,
      sessions: this.tree.sessions(),
      ownSession: this.client.sessionId,
      log: (count) => this.log.last(count),
      connection:
        state === 'CONNECTED' ? `CONNECTED session ${sessionHex(this.client.sessionId)}` : state,
      eventsPerSecond: this.rate.perSecond(),
      loading: this.mirror.isLoading,
      behind: this.backlog.behind(),
      filter: this.tree.filter,
      editingFilter: this.editingFilter,
      followed: this.followed,
    });
    this.screen.draw(lines);
    this.backlog.drewUpTo(applied);
  }

  private key(key: KeyPress): void {
    this.markDirty();
    // Keys typed faster than a frame come as one string ("jl", "before-2\r"): one at a time.
    if (!key.ctrl && key.input.length > 1) {
      for (const one of splitKeys(key.input)) this.key(one);
      return;
    }
    if (key.ctrl && key.input === 'c') return this.quit();
    if (this.editingFilter) {
      if (key.escape) {
        this.editingFilter = false;
        this.tree.setFilter('');
      } else if (key.enter) {
        this.editingFilter = false;
      } else if (key.backspace) {
        this.tree.setFilter(this.tree.filter.slice(0, -1));
      } else if (!key.ctrl && key.input.length > 0 && key.input.charCodeAt(0) >= 0x20) {
        this.tree.setFilter(this.tree.filter + key.input);
      }
      return;
    }
    const rows = this.tree.rows();
    const selected = this.window.selection;
    if (key.input === 'q') return this.quit();
    if (key.up || key.input === 'k') return this.window.move(rows, -1);
    if (key.down || key.input === 'j') return this.window.move(rows, 1);
    if (key.pageUp) return this.window.move(rows, -this.treeHeight);
    if (key.pageDown) return this.window.move(rows, this.treeHeight);
    if (key.escape) return this.tree.setFilter('');
    if (key.input === '/') {
      this.editingFilter = true;
      return;
    }
    if (selected === null) return;
    if (key.right || key.enter || key.input === 'l') return this.tree.expand(selected);
    if (key.left || key.input === 'h') {
      if (this.tree.isExpanded(selected) && this.tree.get(selected)?.children.size) {
        this.tree.collapse(selected);
      } else if (selected !== this.tree.root) {
        this.window.select(parentPath(selected));
      }
      return;
    }
    if (key.input === 'f') {
      this.following = !this.following;
      if (!this.following) this.followed = null;
    }
  }
}

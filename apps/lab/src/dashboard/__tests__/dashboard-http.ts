/**
 * The dashboard's server as a page reaches it, for the tests: plain HTTP requests (node:http,
 * so that Host and Origin are whatever the test says), the event stream read event by event,
 * a folder holding a built page, and a StatusFeed that records what it is asked.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ActionCatalog,
  type ActionRequest,
  type ActionRun,
  type ChaosRunView,
  type DashboardMode,
  READ_ONLY_REFUSAL,
  type Snapshot,
  type TimelineEvent,
} from '@zk-lab/dashboard';
import { sharedConnectString } from '@zk-lab/test';
import type { ZkClient } from '@zk-lab/zk-client';
import {
  type DashboardServer,
  type DashboardServerOptions,
  startDashboardServer,
} from '../dashboard-server';
import { FeedRefusal, type StatusEvents, type StatusFeed, type StatusListener } from '../feeds';
import { emptySnapshot } from '../status-loop';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface Ask {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (with its Content-Type unless the headers say another). */
  body?: unknown;
  /** Sent as it is. */
  raw?: string;
}

/** One request, its whole answer. */
export function ask(url: string, options: Ask = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined = options.raw;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON: the page's files, or a 503 line
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface StreamEvent {
  name: string;
  data: unknown;
}

/** `/api/events` as EventSource reads it; events are kept in arrival order. */
export class EventStreamReader {
  readonly events: StreamEvent[] = [];
  private response: IncomingMessage | null = null;
  private waiters: (() => void)[] = [];

  static open(url: string): Promise<EventStreamReader> {
    const reader = new EventStreamReader();
    return new Promise((resolve, reject) => {
      const req = request(`${url}api/events`, { agent: false }, (res) => {
        reader.response = res;
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let end: number;
          while ((end = buffered.indexOf('\n\n')) !== -1) {
            reader.parse(buffered.slice(0, end));
            buffered = buffered.slice(end + 2);
          }
        });
        resolve(reader);
      });
      req.on('error', reject);
      req.end();
    });
  }

  get headers(): IncomingHttpHeaders {
    return this.response?.headers ?? {};
  }

  /** The first event from index `from` on that matches, waiting for it up to `timeoutMs`. */
  async next(
    match: (event: StreamEvent) => boolean,
    from = 0,
    timeoutMs = 5_000,
  ): Promise<{ event: StreamEvent; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((event, i) => i >= from && match(event));
      if (index !== -1) return { event: this.events[index] as StreamEvent, index };
      const left = deadline - Date.now();
      if (left <= 0) {
        const names = this.events.map((e) => e.name).join(', ');
        throw new Error(`no such event within ${timeoutMs} ms; got: ${names}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.response?.destroy();
  }

  private parse(block: string): void {
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) name = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) return; // a comment or `retry:`
    this.events.push({ name, data: JSON.parse(data.join('\n')) });
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A folder with a built page in it, as @zk-lab/dashboard's build leaves it. */
export function builtPage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zk-lab-dashboard-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>zk-lab</title>');
  writeFileSync(join(dir, 'main-ABCD2345.js'), 'console.log("page");');
  writeFileSync(join(dir, 'main.js'), 'console.log("page");');
  writeFileSync(join(dir, 'build.json'), '{"build":"0123456789ab"}\n');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'style.css'), 'body { color: black; }');
  return dir;
}

/** A dashboard on the shared ensemble, on any free port, in the feed's mode, with a built page. */
export function startTestServer(
  client: ZkClient,
  root: string,
  feed: RecordingFeed,
  options: Partial<DashboardServerOptions> = {},
): Promise<DashboardServer> {
  return startDashboardServer({
    mode: feed.mode,
    client,
    root,
    connectString: sharedConnectString(),
    feed,
    port: 0,
    token: null,
    log: () => {},
    webDir: builtPage(),
    ...options,
  });
}

/**
 * The status side as the HTTP side sees it: a fixed picture, one action kind
 * (`kill-leader`), and a record of every action, chaos run and note it was asked for.
 * (The real feeds need a lab or an ensemble's four-letter words; these tests are about HTTP.)
 */
export class RecordingFeed implements StatusFeed {
  readonly actions: ActionRequest[] = [];
  readonly chaosRuns: { seed: number; rounds: number }[] = [];
  readonly notes: TimelineEvent[] = [];
  private readonly runs: ActionRun[] = [];
  private readonly listeners = new Set<StatusListener>();

  constructor(readonly mode: DashboardMode) {}

  snapshot(): Snapshot {
    return emptySnapshot(this.mode, Date.now());
  }

  history() {
    return {
      samples: [],
      timeline: [{ time: 1, kind: 'info' as const, source: null, text: 'the feed started' }],
      chaos: null,
    };
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<K extends keyof StatusEvents>(name: K, data: StatusEvents[K]): void {
    for (const listener of this.listeners) listener(name, data);
  }

  get listening(): number {
    return this.listeners.size;
  }

  catalog(): ActionCatalog {
    return {
      actions: [{ kind: 'kill-leader', what: 'kill the leading master', group: 'master' }],
      runs: this.runs,
    };
  }

  runAction(request: ActionRequest): ActionRun {
    if (this.mode === 'read-only') throw new FeedRefusal(403, READ_ONLY_REFUSAL);
    if (request.kind !== 'kill-leader') throw new FeedRefusal(400, `no action ${request.kind}`);
    this.actions.push(request);
    const run: ActionRun = {
      id: `run-${this.runs.length + 1}`,
      kind: request.kind,
      target: 'm1',
      state: 'running',
      startedAt: Date.now(),
      heldMs: null,
      healMs: null,
      why: null,
      note: null,
      leaderBefore: 'm1',
      leaderAfter: null,
      clientSaw: null,
      prediction: request.prediction ?? null,
    };
    this.runs.push(run);
    return run;
  }

  runChaos(request: { seed: number; rounds: number }): ChaosRunView {
    if (this.mode === 'read-only') throw new FeedRefusal(403, READ_ONLY_REFUSAL);
    this.chaosRuns.push(request);
    return {
      seed: request.seed,
      state: 'running',
      done: 0,
      total: request.rounds,
      last: null,
      violations: [],
    };
  }

  note(event: TimelineEvent): void {
    this.notes.push(event);
    this.emit('timeline', event);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The web dashboard as a learner uses it: `lab up` (3 servers, 2 masters, 2 workers, a
 * producer) serves the page in lab mode; real Chromium drives it. What the page shows is
 * checked against what a fresh client of this test reads from ZooKeeper itself, never
 * against the dashboard's own answers: the leading master, a leader killed by a click and
 * its successor, a job through to its result, a worker killed from the page and its
 * registration gone, a partition shown and healed. Then `lab dashboard` (read-only) on the
 * same lab refuses every action. Screenshots of the main views are taken on the way.
 * Build first (`npm test` does).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ensemble, fourLetterWord, parseSrvr } from '@zk-lab/deploy';
import { loadCredentials, sessionHex } from '@zk-lab/lab-core';
import { EventType, NoNodeError, ZkClient } from '@zk-lab/zk-client';
import type { Page } from 'playwright-core';
import { type OpenedPage, useBrowser, waitFor } from '../index';

const LAB = resolve(__dirname, '..', '..', '..', 'apps', 'lab', 'dist', 'main.js');
const ROOT = '/zk-lab';
const READ_ONLY_REFUSAL = 'read-only: this dashboard changes nothing';

/** A program of the lab in the foreground, its output read line by line. */
class Foreground {
  readonly lines: string[] = [];
  readonly child: ChildProcessWithoutNullStreams;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [LAB, ...args]);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    }
  }

  /** The first line that matches, waiting for it. */
  async line(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `no line matching ${pattern} (exit ${this.child.exitCode}); output:\n${this.lines.join('\n')}`,
        );
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The master that leads, read from ZooKeeper: the owner of the lowest election node. That
 * node may go between the listing and the read (its session expiring): then list again.
 */
async function leaderFromZooKeeper(client: ZkClient): Promise<string | null> {
  const seq = (name: string) => Number(name.slice(name.lastIndexOf('-') + 1));
  for (;;) {
    const children = await client.getChildren(`${ROOT}/election`);
    if (children.length === 0) return null;
    const lowest = [...children].sort((a, b) => seq(a) - seq(b))[0]!;
    try {
      const data = (await client.getData(`${ROOT}/election/${lowest}`)).data.toString('utf8');
      return /\b(m\d+)\b/.exec(data)?.[1] ?? data;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
}

const text = (page: Page, testid: string) =>
  page.locator(`[data-testid="${testid}"]`).first().innerText();

async function pageShows(page: Page, testid: string, expected: string, timeoutMs: number) {
  await waitFor(
    `the page's ${testid} to show ${expected}`,
    async () => (await text(page, testid)).trim() === expected,
    timeoutMs,
  );
}

describe('the dashboard of a running lab', () => {
  const browser = useBrowser();
  const state = mkdtempSync(join(tmpdir(), 'zk-lab-dashboard-test-'));
  let up: Foreground;
  let url: string;
  let connect: string;
  let client: ZkClient;
  let opened: OpenedPage;
  let page: Page;

  beforeAll(async () => {
    expect(existsSync(LAB)).toBe(true);
    up = new Foreground([
      'up',
      '--state',
      state,
      '--masters',
      '2',
      '--workers',
      '2',
      '--rate',
      '2',
      '--session-timeout',
      '2000',
      '--dashboard-port',
      '0',
    ]);
    url = (await up.line(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/, 90_000))[1]!;
    await up.line(/the lab is up/, 90_000);
    connect = Ensemble.open(join(state, 'zk')).connectString();
    client = await ZkClient.connect({ connectString: connect });
    opened = await browser.open(url);
    page = opened.page;
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await up?.stop();
  }, 60_000);

  it('shows the leading master, the one ZooKeeper says leads', async () => {
    let leader: string | null = null;
    await waitFor(
      'a master to lead',
      async () => (leader = await leaderFromZooKeeper(client)) !== null,
      30_000,
    );
    await pageShows(page, 'leader-master', leader!, 15_000);
    expect(await text(page, 'mode')).toBe('lab');
    await shot('dashboard-ensemble', '[data-testid="panel-ensemble"]');
    await expect(
      page.locator(`[data-testid="app-row"][data-app="${leader!}"]`).getAttribute('data-leading'),
    ).resolves.toBe('true');
  }, 60_000);

  it('a click on "kill the leading master" makes the other master lead, on the page as in ZooKeeper', async () => {
    const before = await leaderFromZooKeeper(client);
    expect(before).not.toBeNull();
    await page.click('[data-testid="action"][data-kind="leader-kill"]');
    await page.click('[data-testid="action-confirm"]');
    let after: string | null = null;
    await waitFor(
      'another master to lead in ZooKeeper',
      async () => (after = await leaderFromZooKeeper(client)) !== null && after !== before,
      30_000,
    );
    await pageShows(page, 'leader-master', after!, 15_000);
    const run = page.locator('[data-testid="action-run"][data-kind="leader-kill"]').first();
    await waitFor(
      'the page to say the lab healed',
      async () => (await run.getAttribute('data-state')) === 'healed',
      60_000,
    );
    await shot('dashboard-action-healed', '[data-testid="panel-actions"]');
  }, 120_000);

  it('a produced job appears on the page and completes; its result is in ZooKeeper', async () => {
    const pending = page
      .locator('[data-testid="job-row"]:not([data-state="done"]):not([data-state="dead"])')
      .first();
    await pending.waitFor({ timeout: 30_000 });
    const key = (await pending.getAttribute('data-job'))!;
    const row = page.locator(`[data-testid="job-row"][data-job="${key}"]`);
    await waitFor(
      `job ${key} shown done`,
      async () => (await row.getAttribute('data-state')) === 'done',
      30_000,
    );
    expect(await client.exists(`${ROOT}/results/${key}`)).not.toBeNull();
    await shot('dashboard-jobs', '[data-testid="panel-jobs"]');
  }, 60_000);

  it('a worker killed from the page: its registration leaves the tree as it leaves ZooKeeper', async () => {
    let workers: string[] = [];
    await waitFor(
      'both workers registered',
      async () => (workers = await client.getChildren(`${ROOT}/workers`)).length === 2,
      30_000,
    );
    // A fresh client watches every registration; the page's rows are watched for removal.
    const gone: string[] = [];
    for (const worker of workers) {
      await client.exists(`${ROOT}/workers/${worker}`, {
        watch: (event) => {
          if (event.type === EventType.NodeDeleted) gone.push(worker);
        },
      });
    }
    // Going to a registration opens the workers' folder in the tree.
    await page.fill('[data-testid="tree-goto"]', `${ROOT}/workers/${workers[0]!}`);
    await page.press('[data-testid="tree-goto"]', 'Enter');
    for (const worker of workers) {
      await page.locator(treeRow(`${ROOT}/workers/${worker}`)).waitFor({ timeout: 15_000 });
    }
    await shot('dashboard-tree', '[data-testid="panel-tree"]');
    const owners = new Map<string, string>();
    for (const worker of workers) {
      const path = `${ROOT}/workers/${worker}`;
      owners.set(path, (await page.locator(treeRow(path)).getAttribute('data-owner'))!);
      await page.evaluate(
        `window.__rows = window.__rows || {}; (${FOLLOW_ROW})(${JSON.stringify(path)})`,
      );
    }
    await page.click('[data-testid="action"][data-kind="worker-kill"]');
    await page.click('[data-testid="action-confirm"]');
    await waitFor('a registration deleted in ZooKeeper', () => gone.length > 0, 30_000);
    const target = `${ROOT}/workers/${gone[0]!}`;
    // The killed worker is started again and registers again on a new session: the page
    // must have shown the old registration gone (not there, struck out, or replaced).
    await waitFor(
      `the tree row of ${target} shown gone`,
      async () =>
        (await page.evaluate<string[]>(`window.__rows[${JSON.stringify(target)}]`)).some(
          (s) => s === 'absent' || s === 'gone' || s === 'replaced',
        ),
      15_000,
    );
    const run = page.locator('[data-testid="action-run"][data-kind="worker-kill"]').first();
    await waitFor(
      'the page to say the lab healed',
      async () => (await run.getAttribute('data-state')) === 'healed',
      60_000,
    );
    // Healed: the worker registered again, on a new session, which the row shows.
    const again = await client.exists(target);
    expect(again).not.toBeNull();
    const session = sessionHex(again!.ephemeralOwner);
    expect(session).not.toBe(owners.get(target));
    await waitFor(
      `the tree row of ${target} to show the new session ${session}`,
      async () => (await page.locator(treeRow(target)).getAttribute('data-owner')) === session,
      15_000,
    );
  }, 120_000);

  it('a partition shows on the page, and heals', async () => {
    await page.click('[data-testid="action"][data-kind="worker-partition"]');
    await page.click('[data-testid="action-confirm"]');
    const cut = page.locator('[data-testid="app-row"][data-partitioned="true"]').first();
    await cut.waitFor({ timeout: 15_000 });
    const name = (await cut.getAttribute('data-app'))!;
    await shot('dashboard-partition', '[data-testid="panel-roles"]');
    // From outside: the cut-off worker's session expires and its registration goes.
    await waitFor(
      `${name}'s registration to go`,
      async () => (await client.exists(`${ROOT}/workers/${name}`)) === null,
      30_000,
    );
    const row = page.locator(`[data-testid="app-row"][data-app="${name}"]`);
    await waitFor(
      `${name} shown healed`,
      async () => (await row.getAttribute('data-partitioned')) === 'false',
      30_000,
    );
    const run = page.locator('[data-testid="action-run"][data-kind="worker-partition"]').first();
    await waitFor(
      'the page to say the lab healed',
      async () => (await run.getAttribute('data-state')) === 'healed',
      60_000,
    );
    expect(await client.exists(`${ROOT}/workers/${name}`)).not.toBeNull();
    await shot('dashboard-overview');
  }, 120_000);

  it('a ZooKeeper follower killed from the page shows down on its card while it is down, then serves again', async () => {
    // From outside: every server asked `srvr` every 100 ms, the ones that did not answer noted.
    const ensemble = Ensemble.open(join(state, 'zk'));
    const silent = new Set<number>();
    let probing = true;
    const probe = (async () => {
      while (probing) {
        await Promise.all(
          ensemble.nodes.map((n) =>
            fourLetterWord('127.0.0.1', n.clientPort, 'srvr', 500).catch(() => silent.add(n.id)),
          ),
        );
        await sleep(100);
      }
    })();
    // In the page: every role each card shows, frame by frame (the server is down for a second
    // or two, then not serving while it rejoins: the page reads the servers once a second).
    await page.evaluate(FOLLOW_CARDS);
    await page.click('[data-testid="action"][data-kind="zk-follower-kill"]');
    await page.click('[data-testid="action-confirm"]');
    const notServing = ['down', 'not-answering', 'out-of-quorum'];
    let id: number | null = null;
    await waitFor(
      'a server card shown not serving',
      async () => {
        const roles = await page.evaluate<Record<string, string[]>>('window.__cards');
        const shown = Object.entries(roles).find(([, seen]) =>
          seen.some((r) => notServing.includes(r)),
        );
        id = shown === undefined ? null : Number(shown[0]);
        return id !== null;
      },
      15_000,
    );
    const node = ensemble.nodes.find((n) => n.id === id)!;
    const run = page.locator('[data-testid="action-run"][data-kind="zk-follower-kill"]').first();
    await waitFor(
      'the page to say the lab healed',
      async () => (await run.getAttribute('data-state')) === 'healed',
      60_000,
    );
    const card = page.locator(`[data-testid="server-card"][data-server="${id}"]`);
    await waitFor(
      `server ${id} shown serving again`,
      async () => ['follower', 'leader'].includes((await card.getAttribute('data-role')) ?? ''),
      15_000,
    );
    probing = false;
    await probe;
    // The page said it of the server that did stop answering, and ZooKeeper of no other.
    expect([...silent]).toEqual([id]);
    const roles = await page.evaluate<Record<string, string[]>>('window.__cards');
    expect(
      Object.entries(roles)
        .filter(([, seen]) => seen.some((r) => notServing.includes(r)))
        .map(([server]) => Number(server)),
    ).toEqual([id]);
    expect(parseSrvr(await fourLetterWord('127.0.0.1', node.clientPort, 'srvr'))?.mode).toMatch(
      /^(follower|leader)$/,
    );
  }, 120_000);

  it("an edit from the page names the version it was read at: another writer's change is refused, never overwritten", async () => {
    const admin = await ZkClient.connect({
      connectString: connect,
      auth: [loadCredentials('admin').authInfo()],
    });
    try {
      const path = `${ROOT}/e2e-note`;
      await admin.create(path, 'first');
      // At once: the page may not have the node from its stream yet; going to it must work.
      await page.fill('[data-testid="tree-goto"]', path);
      await page.press('[data-testid="tree-goto"]', 'Enter');
      await page.locator(`[data-testid="node-detail"][data-path="${path}"]`).waitFor();
      await page.click('[data-testid="edit-start"]');
      await page.fill('[data-testid="edit-text"]', 'from the page');
      await admin.setData(path, 'from another writer');
      // The page tells the learner, before the save, that the node moved on.
      await page.locator('[data-testid="edit-moved-on"]').waitFor({ timeout: 15_000 });
      await page.click('[data-testid="edit-save"]');
      await waitFor(
        'the refusal shown',
        async () =>
          (await page.locator('[data-testid="error-banner"]').allInnerTexts()).some((t) =>
            t.includes('changed since version 0'),
          ),
        15_000,
      );
      expect((await admin.getData(path)).data.toString()).toBe('from another writer');
      // Started again from the new data, the edit goes through.
      await page.click('[data-testid="edit-cancel"]');
      await page.click('[data-testid="edit-start"]');
      await page.fill('[data-testid="edit-text"]', 'from the page');
      await page.click('[data-testid="edit-save"]');
      await waitFor(
        'the edit in ZooKeeper',
        async () => (await admin.getData(path)).data.toString() === 'from the page',
        15_000,
      );
      expect((await admin.exists(path))?.version).toBe(2);
      await waitFor(
        'the row to show the edit',
        async () => (await page.locator(treeRow(path)).innerText()).includes('from the page'),
        15_000,
      );
      await shot('dashboard-node', '[data-testid="panel-tree"]');
    } finally {
      await admin.close();
    }
  }, 60_000);

  it('lab dashboard (read-only) on the same lab offers no action and refuses every one', async () => {
    const viewer = new Foreground([
      'dashboard',
      '--connect',
      connect,
      '--root',
      ROOT,
      '--port',
      '0',
    ]);
    try {
      const viewUrl = (await viewer.line(/(http:\/\/127\.0\.0\.1:\d+\/)/, 30_000))[1]!;
      const viewOpened = await browser.open(viewUrl);
      const view = viewOpened.page;
      await pageShows(view, 'mode', 'read-only', 15_000);
      await view.locator('[data-testid="readonly-notice"]').waitFor();
      expect(await view.locator('[data-testid="action"]').count()).toBe(0);
      const config = await client.exists(`${ROOT}/config`);
      const token = /#token=([0-9a-f]+)/.exec(url)![1]!;
      const bodies: Record<string, unknown> = {
        '/api/actions': { kind: 'leader-kill' },
        '/api/chaos': { seed: 1, rounds: 1 },
        '/api/node': { path: `${ROOT}/config`, base64: 'e30=', version: config?.version ?? 0 },
      };
      for (const [route, body] of Object.entries(bodies)) {
        // Even with the lab's token: a read-only dashboard has no actions at all.
        const answer = await view.evaluate(
          async ([route, body, token]) => {
            const res = await fetch(route, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify(body),
            });
            return { status: res.status, body: await res.json() };
          },
          [route, body, token] as const,
        );
        expect({ route, ...answer }).toEqual({
          route,
          status: 403,
          body: { error: READ_ONLY_REFUSAL },
        });
      }
      expect((await client.exists(`${ROOT}/config`))?.version).toBe(config?.version);
      expect(viewOpened.errors()).toEqual([]);
      await shot('dashboard-read-only', undefined, viewOpened);
    } finally {
      await viewer.stop();
    }
  }, 60_000);

  it('the lab page had no error of its own on the way (a script error, a message off the protocol)', () => {
    expect(opened.errors()).toEqual([]);
  });

  /** A screenshot for the README (the browser harness says where it goes). */
  async function shot(name: string, selector?: string, on: OpenedPage = opened): Promise<void> {
    await on.screenshot(name, selector);
  }
});

const treeRow = (path: string) => `[data-testid="tree-row"][data-path="${path}"]`;

/** In the page: each server card's roles, as they change, in window.__cards[id]. */
const FOLLOW_CARDS = `(() => {
  const seen = (window.__cards = {});
  const frame = () => {
    for (const card of document.querySelectorAll('[data-testid="server-card"]')) {
      const list = (seen[card.getAttribute('data-server')] ??= []);
      const role = card.getAttribute('data-role');
      if (list[list.length - 1] !== role) list.push(role);
    }
    requestAnimationFrame(frame);
  };
  frame();
})()`;

/**
 * In the page: what the tree row of a path is at each animation frame (`absent`; `gone`, struck
 * out; `replaced`, deleted and created again in a moment; or its owner session), each change
 * appended to window.__rows[path].
 */
const FOLLOW_ROW = `(path) => {
  const seen = (window.__rows[path] = []);
  const frame = () => {
    const row = document.querySelector('[data-testid="tree-row"][data-path="' + path + '"]');
    const now = row === null ? 'absent'
      : row.getAttribute('data-gone') === 'true' ? 'gone'
      : row.getAttribute('data-flash') === 'replaced' ? 'replaced'
      : row.getAttribute('data-owner');
    if (seen[seen.length - 1] !== now) seen.push(now);
    requestAnimationFrame(frame);
  };
  frame();
}`;

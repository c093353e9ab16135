/**
 * `bench dashboard`'s browser: Debian's Chromium driven by playwright-core, with a probe
 * script in the page that times what the user sees, in the page's own clock:
 * - `arm(selector, text)` then `seen()`: the first animation frame at which the element
 *   shows the text (a frame is drawn right after its callbacks, so this is when it reaches
 *   the screen, to a frame);
 * - `armInput(selector, attribute, value)` then `answered()`: from the timestamp of the next
 *   pointerdown or keydown (the input's own time, taken by the browser) to the first frame at
 *   which the element's attribute has the value;
 * - `take()`: the Event Timing entries of interactions (a click, a key) of at least 16 ms,
 *   from the input to the next paint as the browser measures it for "Interaction to Next
 *   Paint", and the long tasks (over 50 ms) since the last take.
 * Times cross to Node as wall-clock ms (performance.timeOrigin + now()), as Node's are.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureProgram } from '@zk-lab/deploy';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { procUsage } from './top-terminal';

/** The script put into the page before its own (plain JavaScript: it runs in Chromium). */
export const PROBE_SCRIPT = `
(() => {
  const wall = () => performance.timeOrigin + performance.now();
  const state = { events: [], longTasks: [], armed: null, input: null };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (!e.interactionId) continue;
      state.events.push({ interaction: e.interactionId, name: e.name, duration: e.duration,
        delay: e.processingStart - e.startTime, processing: e.processingEnd - e.processingStart });
    }
  }).observe({ type: 'event', durationThreshold: 16 });

  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) state.longTasks.push(e.duration);
  }).observe({ type: 'longtask' });
  const watchFrames = (test, done, timeoutMs) => {
    const until = wall() + timeoutMs;
    const frame = () => {
      if (test()) done(wall());
      else if (wall() > until) done(null);
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  };
  for (const type of ['pointerdown', 'keydown']) {
    addEventListener(type, (event) => {
      if (state.input !== null && state.input.at === null) {
        state.input.at = performance.timeOrigin + event.timeStamp;
      }
    }, { capture: true });
  }
  window.__bench = {
    arm(selector, text, timeoutMs) {
      state.armed = new Promise((resolve) =>
        watchFrames(() => (document.querySelector(selector)?.textContent ?? '').includes(text),
          resolve, timeoutMs));
    },
    seen() { return state.armed; },
    armInput(selector, attribute, value, timeoutMs) {
      const input = { at: null, answered: null };
      state.input = input;
      input.answered = new Promise((resolve) =>
        watchFrames(() => input.at !== null &&
          document.querySelector(selector)?.getAttribute(attribute) === value,
          (t) => resolve(t === null || input.at === null ? null : t - input.at), timeoutMs));
    },
    answered() { return state.input === null ? null : state.input.answered; },
    take() {
      const taken = { events: state.events, longTasks: state.longTasks };
      state.events = [];
      state.longTasks = [];
      return taken;
    },
  };
})();
`;

export interface PageTimings {
  /** Event Timing entries of interactions (>= 16 ms) since the last take. */
  events: {
    interaction: number;
    name: string;
    duration: number;
    delay: number;
    processing: number;
  }[];
  longTasks: number[];
}

/** Chromium with a profile folder of its own (to find its processes), and one page. */
export class BenchBrowser {
  private readonly profile = mkdtempSync(join(tmpdir(), 'zk-lab-bench-chromium-'));
  private context: BrowserContext | null = null;
  page: Page | null = null;

  async open(url: string, viewport: { width: number; height: number }): Promise<Page> {
    ensureProgram('chromium', 'chromium');
    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: '/usr/bin/chromium',
      // --no-sandbox: Chromium's sandbox refuses to run as root.
      args: ['--no-sandbox'],
      viewport,
    });
    await this.context.addInitScript(PROBE_SCRIPT);
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
    await this.page.goto(url);
    return this.page;
  }

  /** Chromium's version, once open. */
  version(): string {
    return this.context?.browser()?.version() ?? '?';
  }

  /** The CPU time (ms) and resident memory (bytes) of every Chromium process of this profile. */
  usage(): { cpuMs: number; rssBytes: number } {
    let cpuMs = 0;
    let rssBytes = 0;
    for (const pid of this.pids()) {
      const usage = procUsage(pid);
      if (usage === null) continue;
      cpuMs += usage.cpuMs;
      rssBytes += usage.rssBytes;
    }
    return { cpuMs, rssBytes };
  }

  private pids(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(this.profile)) {
          pids.push(Number(entry));
        }
      } catch {
        // gone meanwhile
      }
    }
    return pids;
  }

  async close(): Promise<void> {
    await this.context?.close().catch(() => undefined);
    this.context = null;
    // Whatever did not exit with the browser (a renderer, after a crash) goes now.
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}

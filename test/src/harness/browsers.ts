/**
 * A real browser for tests: Debian's Chromium, driven by playwright-core (no browser
 * download). One browser per test file, started on first use and closed after the file
 * (afterAll), with every page it opened. Chromium is installed through apt-get when missing,
 * as tmux is for the terminal tests.
 *
 * Screenshots go to `test/screenshots/` (ignored by git); with ZK_LAB_SCREENSHOTS=docs/screenshots
 * they go where the README shows them, so a test run refreshes the README's pictures.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureProgram } from '@zk-lab/deploy';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const REPO = resolve(__dirname, '..', '..', '..');

export interface PageOptions {
  /** Viewport (default 1400 x 900). */
  width?: number;
  height?: number;
  /** Light or dark (default light). */
  colorScheme?: 'light' | 'dark';
}

export interface OpenedPage {
  page: Page;
  /**
   * Uncaught errors and the page's own console errors so far, one line each. Chromium's
   * "Failed to load resource" lines (an HTTP answer of 4xx or 5xx, which a test asserts
   * itself when it means to get one) are left out.
   */
  errors: () => string[];
  /** Saves a PNG of the whole page (or of the element matching `selector`); returns its path. */
  screenshot: (name: string, selector?: string) => Promise<string>;
}

/** The folder screenshots go to. */
export function screenshotDir(): string {
  const asked = process.env.ZK_LAB_SCREENSHOTS;
  return asked !== undefined && asked !== ''
    ? resolve(REPO, asked)
    : join(REPO, 'test', 'screenshots');
}

/**
 * Chromium for this test file: `open(url)` gives a fresh page (its own context: no cookies
 * or storage shared with other pages).
 */
export function useBrowser(): { open(url: string, options?: PageOptions): Promise<OpenedPage> } {
  let browser: Browser | null = null;
  const contexts: BrowserContext[] = [];

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    browser = null;
  });

  return {
    async open(url, options = {}) {
      if (browser === null) {
        ensureProgram('chromium', 'chromium');
        // --no-sandbox: Chromium's sandbox refuses to run as root, as tests here do.
        browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      }
      const { width = 1400, height = 900, colorScheme = 'light' } = options;
      const context = await browser.newContext({ viewport: { width, height }, colorScheme });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        if (message.text().startsWith('Failed to load resource:')) return;
        errors.push(`console error: ${message.text()}`);
      });
      await page.goto(url);
      return {
        page,
        errors: () => [...errors],
        screenshot: async (name, selector) => {
          const dir = screenshotDir();
          mkdirSync(dir, { recursive: true });
          const path = join(dir, `${name}.png`);
          if (selector === undefined) {
            // The whole page from its top (a sticky header would otherwise hide what is under it).
            await page.evaluate('window.scrollTo(0, 0)');
            await page.screenshot({ path, fullPage: true });
          } else await page.locator(selector).screenshot({ path });
          return path;
        },
      };
    },
  };
}

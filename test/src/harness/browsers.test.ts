/**
 * The browser harness on a page of its own: real Chromium loads it, a click changes it,
 * an error in the page is reported, and a screenshot is a PNG.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useBrowser } from './browsers';

const PAGE = `<!doctype html><title>harness</title>
<button id="b" onclick="document.getElementById('out').textContent = 'clicked'">go</button>
<p id="out">waiting</p>
<button id="bad" onclick="throw new Error('planted failure')">fail</button>`;

describe('browser harness', () => {
  const browser = useBrowser();
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE),
    );
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('clicks, reads what the page shows, reports page errors and takes screenshots', async () => {
    const { page, errors, screenshot } = await browser.open(url, { width: 400, height: 300 });
    expect(await page.title()).toBe('harness');
    await page.click('#b');
    expect(await page.textContent('#out')).toBe('clicked');
    expect(errors()).toEqual([]);
    await page.click('#bad');
    await page.waitForFunction(() => true);
    expect(errors()).toEqual(['page error: planted failure']);
    const path = await screenshot('harness-self-test', '#out');
    try {
      // The PNG signature.
      expect(readFileSync(path).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    } finally {
      rmSync(path, { force: true });
    }
  });
});

// The browser-test harness itself: Debian's chromium starts headless on this closed
// network, runs a page served over real HTTP, and reports what rendering it offers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type HeadlessBrowser } from '../support/browser.js';

const page = `<!doctype html><html><body><canvas id="c" width="64" height="64"></canvas><script>
const c = document.getElementById('c').getContext('2d');
c.fillStyle = '#ff0000'; c.fillRect(0, 0, 64, 64);
window.probe = { red: c.getImageData(10, 10, 1, 1).data[0], webgl: !!document.createElement('canvas').getContext('webgl') };
</script></body></html>`;

describe('headless chromium', () => {
  let http: Server;
  let url: string;
  let b: HeadlessBrowser;
  beforeAll(async () => {
    http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    b = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await new Promise<void>((r) => http.close(() => r()));
  });

  it('loads a page over HTTP with no console error and draws on a 2D canvas', async () => {
    const p = await b.context.newPage();
    const errors: string[] = [];
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(url);
    const probe = await p.evaluate(() => (globalThis as unknown as { probe: { red: number; webgl: boolean } }).probe);
    expect(probe.red).toBe(255);
    // With --disable-gpu, whether software WebGL is offered decides between a WebGL map
    // (maplibre-gl) and a canvas/SVG one (Leaflet); the test records which.
    console.log(`headless chromium: WebGL ${probe.webgl ? 'available' : 'not available'}`);
    expect(errors).toEqual([]);
    await p.close();
  }, 60_000);
});

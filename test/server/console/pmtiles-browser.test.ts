// The console's PMTiles base map in Debian's chromium against real server processes:
// the server's own archive (--http-pmtiles, read with the operator token) and a remote
// one on another origin (--http-tiles URL.pmtiles, read without it). The screen under
// the vehicles has the colours of the tiles packed at those places, the attribution
// comes from the archive's metadata as text (or from the flag), the Content-Security-
// Policy still refuses every other origin, tiles that fail to load are error tiles
// (no unhandled rejection), and no page logs an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeFleet } from '../../support/link-fixture.js';
import { MemSpool } from '../../support/mem-spool.js';
import { startServerProcess, type ServerProc } from '../../support/server-proc.js';
import { waitFor } from '../../support/wait.js';
import { runCli } from '../../support/cli-io.js';
import { httpBaseOf } from '../../support/http-api.js';
import { repoRoot } from '../../support/shared.js';
import { launchChromium, type HeadlessBrowser } from '../../support/browser.js';
import { colourPyramid, tileColour, writePmtiles } from '../../support/pmtiles-writer.js';
import { DeviceLink } from '../../../src/link/device.js';
import { createEngine, DEFAULT_ENGINE } from '../../../src/quic/engines.js';
import { deviceTls } from '../../../src/tls/material.js';
import { silentLogger } from '../../../src/base/log.js';
import { systemClock } from '../../../src/base/clock.js';
import { StatusBoard } from '../../../src/base/status-board.js';
import { encodeRecord } from '../../../src/codec/index.js';
import { PmtilesArchive } from '../../../src/server/console/pmtiles-archive.js';
import { sendRange } from '../../../src/server/http/send-range.js';
import { HttpError } from '../../../src/server/http/errors.js';
// @ts-expect-error plain JavaScript build script
import { buildConsole } from '../../../scripts/console/build.mjs';

/** Two parked trucks either side of the Greenwich meridian, where zoom 2's tiles x=1 and x=2 meet. */
const TRUCKS = { 'truck-w': -5, 'truck-e': 5 } as const;
const LAT7 = 200_000_000;
const OUT = join(repoRoot, 'out', 'console');

declare const document: {
  querySelector(sel: string): { textContent: string | null; getBoundingClientRect(): { x: number; y: number; width: number; height: number } } | null;
  querySelectorAll(sel: string): ArrayLike<{ complete: boolean; naturalWidth: number; classList: { contains(c: string): boolean } }>;
  createElement(tag: 'canvas'): { width: number; height: number; getContext(k: '2d', o: { willReadFrequently: boolean }): { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
  addEventListener(type: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void;
};
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };

/** The colour on screen at each point (CSS pixels), read from a screenshot decoded in the page itself. */
async function pixels(p: Page, points: { x: number; y: number }[]): Promise<number[][]> {
  const png = (await p.screenshot()).toString('base64');
  return p.evaluate(
    async ([b64, pts]) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d', { willReadFrequently: true });
      g.drawImage(img, 0, 0);
      return pts.map((q) => Array.from(g.getImageData(Math.round(q.x), Math.round(q.y), 1, 1).data).slice(0, 3));
    },
    [png, points] as const,
  );
}

const near = (a: number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 3);

/**
 * Screenshots until the first points have the colours `want` (the tiles fade in), up to
 * 15 s; resolves to the colours at all `points` in the screenshot that showed them.
 */
async function screenShows(p: Page, points: { x: number; y: number }[], want: readonly (readonly number[])[]): Promise<number[][]> {
  let got: number[][] = [];
  for (const t0 = performance.now(); performance.now() - t0 < 15_000; ) {
    got = await pixels(p, points);
    if (want.every((w, i) => near(got[i]!, w))) return got;
  }
  throw new Error(`the screen never showed ${JSON.stringify(want)} (last read ${JSON.stringify(got)})`);
}

/** The other origin: the archive with CORS and byte ranges, and the headers of every request it got. */
async function remoteOrigin(file: string): Promise<{ server: Server; base: string; seen: IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const archive = await PmtilesArchive.open(file);
  const seen: IncomingHttpHeaders[] = [];
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'range', 'access-control-expose-headers': 'etag, content-range, content-length' };
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    sendRange(req, res, archive, cors).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent) res.writeHead(status, { ...cors, ...(err instanceof HttpError ? err.headers : {}) }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await archive.close();
    },
  };
}

describe('PMTiles base map in chromium', () => {
  let fleet: Awaited<ReturnType<typeof makeFleet>>;
  let local: ServerProc;
  let remote: ServerProc;
  let origin: Awaited<ReturnType<typeof remoteOrigin>>;
  let token: string;
  let remoteToken: string;
  let b: HeadlessBrowser;
  const links: DeviceLink[] = [];
  const errors: string[] = [];
  /** Where the tile data of the server's archive starts: a range from there is a tile. */
  let tileDataAt: number;

  beforeAll(async () => {
    await buildConsole();
    fleet = await makeFleet(Object.keys(TRUCKS), 'gs-pmtiles-browser-');
    const db = join(fleet.dir, 'ingest.db');
    token = (await runCli(['server', 'token', 'add', 'ops', '--db', db])).stdout.trim();
    remoteToken = (await runCli(['server', 'token', 'add', 'ops', '--db', join(fleet.dir, 'remote.db')])).stdout.trim();
    const file = join(fleet.dir, 'region.pmtiles');
    const bytes = writePmtiles({ tiles: colourPyramid(0, 2), metadata: { attribution: '<a href="https://osm.example/copyright">© Test Map</a> contributors<img src="https://evil.example/x.png">' } });
    tileDataAt = Number(bytes.readBigUInt64LE(56));
    writeFileSync(file, bytes);
    // The remote extract covers zoom 2's tile x=2, y=1 only (0..90° E, 0..66.5° N).
    const extract = join(fleet.dir, 'extract.pmtiles');
    writeFileSync(extract, writePmtiles({ tiles: colourPyramid(0, 2), bounds: [0, 0, 90, 66.5] }));
    origin = await remoteOrigin(extract);
    local = await startServerProcess({ ca: fleet.ca, db, args: ['--http', '127.0.0.1:0', '--http-pmtiles', file] });
    remote = await startServerProcess({ ca: fleet.ca, db: join(fleet.dir, 'remote.db'), args: ['--http', '127.0.0.1:0', '--http-tiles', `${origin.base}/region.pmtiles`, '--http-attribution', 'Remote tiles'] });
    for (const [device, lon] of Object.entries(TRUCKS)) {
      const spool = new MemSpool();
      const t = Date.now() - 60_000;
      spool.append(encodeRecord({ seq: 1, timeMs: t, lat7: LAT7, lon7: lon * 1e7, altDm: 100, speedCms: 0, courseCdeg: 0, mode: 3, sats: 9, hdopC: 90, ignition: false }), t);
      const link = new DeviceLink({ engine: createEngine(DEFAULT_ENGINE), spool, server: { host: '127.0.0.1', port: local.port }, tls: deviceTls(fleet.ca, device), clock: systemClock, log: silentLogger(), status: new StatusBoard(), device, random: () => 0, livenessMs: 3000 });
      link.start();
      links.push(link);
      await waitFor(() => spool.ackedSeq === 1, 30_000, `${device}'s record acked`);
    }
    b = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    for (const l of links) await l.stop();
    await Promise.all([local?.stop(), remote?.stop()]);
    await origin?.close();
    fleet?.cleanup();
  });

  const open = async (base: string, tok: string, watched = true, prepare?: (p: Page) => Promise<void>): Promise<Page> => {
    const p = await b.context.newPage();
    await prepare?.(p);
    if (watched) {
      p.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${base}: ${m.text()}`);
      });
      p.on('pageerror', (e) => errors.push(`${base}: ${e.message}`));
    }
    await p.setViewportSize({ width: 1200, height: 800 });
    await p.goto(`${base}/#token=${encodeURIComponent(tok)}`);
    return p;
  };

  /** Waits until every tile image in the tile pane has loaded. */
  const tilesLoaded = (p: Page) =>
    p.waitForFunction(() => {
      const imgs = document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile');
      if (imgs.length === 0) return false;
      for (let i = 0; i < imgs.length; i++) if (!imgs[i]!.complete || imgs[i]!.naturalWidth === 0) return false;
      return true;
    });

  it("the server's archive, read with the token: each truck stands on its tile's colour, drawn over the tiles", async () => {
    const requests: { url: string; auth: string | undefined; range: string | undefined }[] = [];
    // Watched from before the page loads: its first archive reads can start before goto returns.
    const p = await open(httpBaseOf(local.output()), token, true, async (page) => {
      page.on('request', (r) => {
        if (r.url().includes('basemap.pmtiles')) requests.push({ url: r.url(), auth: r.headers().authorization, range: r.headers().range });
      });
    });
    const w = p.locator('.leaflet-marker-icon [data-vehicle="truck-w"]');
    const e = p.locator('.leaflet-marker-icon [data-vehicle="truck-e"]');
    await w.waitFor();
    await e.waitFor();
    await tilesLoaded(p);
    const bw = (await w.boundingBox())!;
    const be = (await e.boundingBox())!;
    const above = (bx: { x: number; y: number; width: number }) => ({ x: bx.x + bx.width / 2, y: bx.y - 40 });
    const centre = (bx: { x: number; y: number; width: number; height: number }) => ({ x: bx.x + bx.width / 2, y: bx.y + bx.height / 2 });
    // West of the meridian zoom 2's tile x=1, east of it x=2; latitude 20 is in row y=1.
    const want = [tileColour(2, 1, 1), tileColour(2, 2, 1)];
    const got = await screenShows(p, [above(bw), above(be), centre(bw), centre(be)], want);
    // The markers are drawn over the base map: their centres are not the tile colour.
    expect(near(got[2]!, want[0]!)).toBe(false);
    expect(near(got[3]!, want[1]!)).toBe(false);
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) {
      expect(r.auth).toBe(`Bearer ${token}`);
      expect(r.range).toMatch(/^bytes=\d+-\d+$/);
    }
    // The metadata's attribution as text: no link, no image from it.
    const attribution = await p.textContent('.leaflet-control-attribution');
    expect(attribution).toContain('© Test Map contributors');
    expect(await p.locator('.leaflet-control-attribution a[href*="osm.example"], .leaflet-control-attribution img').count()).toBe(0);
    mkdirSync(OUT, { recursive: true });
    await p.screenshot({ path: join(OUT, 'pmtiles.png') });
    await p.close();
  });

  it("a remote archive on another origin: read without the token, its tiles drawn within the extract's bounds, the attribution of the flag", async () => {
    const p = await open(httpBaseOf(remote.output()), remoteToken);
    await tilesLoaded(p);
    const m = (await p.locator('#map').boundingBox())!;
    // No vehicles here: the map keeps its first view, centred on 50° N 10° E (zoom 2's tile x=2, y=1).
    // 200 px west of the centre is 7.6° W at zoom 4: outside the extract's bounds, so no tile is drawn there.
    const got = await screenShows(p, [{ x: m.x + m.width / 2, y: m.y + m.height / 2 }, { x: m.x + m.width / 2 - 200, y: m.y + m.height / 2 }], [tileColour(2, 2, 1)]);
    expect(near(got[1]!, tileColour(2, 1, 1))).toBe(false);
    expect(origin.seen.length).toBeGreaterThan(1);
    expect(origin.seen.filter((h) => h.authorization !== undefined)).toEqual([]);
    expect(await p.textContent('.leaflet-control-attribution')).toContain('Remote tiles');
    await p.close();
  });

  it('the Content-Security-Policy still refuses every other origin, for fetches and images', async () => {
    const probe = async (base: string, tok: string, urls: { connect: string; img: string }) => {
      const p = await open(base, tok, false);
      await p.waitForSelector('#app:not([hidden])');
      const r = await p.evaluate(
        (u) =>
          new Promise<string[]>((resolve) => {
            const v: string[] = [];
            document.addEventListener('securitypolicyviolation', (e) => {
              v.push(`${e.violatedDirective} ${e.blockedURI}`);
              if (v.length === 2) resolve(v.sort());
            });
            void fetch(u.connect).catch(() => {});
            new Image().src = u.img;
          }),
        urls,
      );
      await p.close();
      return r;
    };
    // The server's own archive: the remote origin is as foreign as any other.
    expect(await probe(httpBaseOf(local.output()), token, { connect: `${origin.base}/region.pmtiles`, img: `${origin.base}/x.png` })).toEqual([`connect-src ${origin.base}/region.pmtiles`, `img-src ${origin.base}/x.png`]);
    // A remote archive: its origin only, not another port of the same host.
    const other = origin.base.replace(/:\d+$/, ':9');
    expect(await probe(httpBaseOf(remote.output()), remoteToken, { connect: `${other}/region.pmtiles`, img: `${other}/x.png` })).toEqual([`connect-src ${other}/region.pmtiles`, `img-src ${other}/x.png`]);
  });

  it('tiles that cannot be read (500, a failed network) are error tiles: no unhandled rejection, the console goes on', async () => {
    let failed = 0;
    const thrown: string[] = [];
    const p = await open(httpBaseOf(local.output()), token, false, async (page) => {
      page.on('pageerror', (e) => thrown.push(e.message));
      await page.addInitScript(() => {
        const w = globalThis as unknown as { rejections: string[]; addEventListener(t: string, f: (e: { reason: unknown }) => void): void };
        w.rejections = [];
        w.addEventListener('unhandledrejection', (e) => w.rejections.push(String(e.reason)));
      });
      // The header, root directory and metadata come; every tile's bytes fail, by turns a 500 and a network error.
      await page.route('**/api/v1/basemap.pmtiles', (r) => {
        const start = Number(/^bytes=(\d+)-/.exec(r.request().headers().range ?? '')?.[1] ?? 0);
        if (start < tileDataAt) return r.continue();
        return failed++ % 2 === 0 ? r.fulfill({ status: 500, body: 'tile store down' }) : r.abort('failed');
      });
    });
    await waitFor(() => failed > 0, 15_000, 'a tile read failed');
    // The console goes on: a vehicle opens with its track.
    await p.locator('#vehicle-list tbody tr[data-vehicle="truck-e"]').click();
    await p.waitForSelector('#track-summary[data-points]');
    expect(await p.evaluate(() => (globalThis as unknown as { rejections: string[] }).rejections)).toEqual([]);
    expect(thrown).toEqual([]);
    // Every tile settles, each as an error tile (Leaflet's tileerror), none left loading.
    await p.waitForFunction(() => {
      const tiles = document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile');
      if (tiles.length === 0) return false;
      for (let i = 0; i < tiles.length; i++) if (!tiles[i]!.classList.contains('gs-tile-error')) return false;
      return true;
    }, undefined, { timeout: 15_000 });
    expect(await p.locator('.leaflet-tile-pane img.leaflet-tile-loaded').count()).toBe(0);
    expect(await p.textContent('.leaflet-control-attribution')).toContain('© Test Map contributors');
    await p.close();
  });

  it('no console error or warning on any page', () => {
    expect(errors).toEqual([]);
  });
});
